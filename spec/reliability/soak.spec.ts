// The soak's short form (the full one is `npm run soak`): 100 machines, random faults, ~10 s.
import { expect } from 'chai';
import { describeSoak, soak } from './soak.js';

describe('reliability: soak (short form)', function () {
  it('100 machines under random faults for 10 s: no queued message lost, none duplicated or reordered, all recover, no handle left', async function () {
    this.timeout(90_000); // 10 s of faults (up to 30 s on a loaded machine), then recovery
    const seed = Number(process.env.SOAK_SEED ?? 424242);
    const result = await soak({ seconds: 10, machines: 100, seed, minFaults: 201 });
    if (process.env.WS_MACHINE_REPORT) console.log(describeSoak(result).replace(/^/gm, '      [soak] '));
    expect(result.faultsTotal, 'faults injected').to.be.greaterThan(200);
    expect(result.reconnects, 'reconnects').to.be.greaterThan(100);
    expect(result.sentQueued, 'queued messages checked').to.be.greaterThan(500);
    expect(result.dropped, 'the small queues overflowed onto dropped$').to.be.greaterThan(0);
    expect(result.lostQueued, 'queued messages lost').to.equal(0);
    expect(result.duplicated, 'duplicates').to.equal(0);
    expect(result.outOfOrder, 'out of order on a connection').to.equal(0);
    expect(result.queuedOutOfOrder, 'queued messages out of order').to.equal(0);
    expect(result.recovered, 'every machine back to CONNECTED once faults stopped').to.equal(true);
    expect(result.handlesLeft, 'handles left').to.deep.equal({});
    // Everything the run made is gone; what remains is code warmed up on first use.
    expect(result.heapAfter - result.heapBefore, 'heap growth').to.be.below(16 * 1024 * 1024);
  });
});
