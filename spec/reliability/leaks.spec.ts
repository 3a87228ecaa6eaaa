// Leaks: a thousand machines made and stopped, a thousand reconnects of one machine. The heap must
// not grow with the count, and nothing may be left in process.getActiveResourcesInfo().
import { expect } from 'chai';
import { firstValueFrom, filter, lastValueFrom } from 'rxjs';
import { Command, Machine, State } from '../../lib/index.js';
import { heapUsed, mb, resources, serve, settle, tick, until, type Served } from './helpers.js';

const report = (line: string): void => {
  if (process.env.WS_MACHINE_REPORT) console.log(`      [leaks] ${line}`);
};
/** Heap growth allowed over 1,000 cycles (the noise is about ±0.4 MB): 1 KB a cycle would be caught. */
const HEAP_BOUND = 1024 * 1024;

describe('reliability: leaks', function () {
  let server: Served | undefined;
  // Machines still running when a test fails are stopped, so that mocha can exit and report it.
  const running = new Set<Machine>();
  afterEach(async () => {
    for (const machine of running) machine.command.next(Command.QUIT);
    running.clear();
    await server?.close();
    server = undefined;
  });

  it('1,000 create/QUIT cycles: bounded heap, nothing left once the close handshakes end', async function () {
    this.timeout(120_000);
    server = await serve();
    const url = `${server.url}/cycle`;
    await tick(); // mocha arms the test's timer after the test function returns: count it in the baseline
    const baseline = resources();
    const cycle = async (): Promise<void> => {
      const machine = new Machine(url, { minUptime: 0 });
      running.add(machine);
      await firstValueFrom(machine.state$.pipe(filter((s) => s.state === State.CONNECTED)));
      machine.output.next('bye');
      machine.command.next(Command.QUIT);
      await lastValueFrom(machine.state$);
      running.delete(machine); // held no longer than it runs: the heap is measured
    };
    const run = async (cycles: number): Promise<void> => {
      // Ten at a time: a thousand one after the other would take longer than they teach.
      for (let done = 0; done < cycles; done += 10) await Promise.all(Array.from({ length: 10 }, cycle));
    };
    // Warm-up: the heap grows by code V8 compiles and optimises over the first few hundred cycles.
    await run(1000);
    await until(() => server?.clients.size === 0, 5000, 'server sockets to close');
    expect(await settle(baseline, 3000), 'left after the warm-up').to.deep.equal({});
    const before = await heapUsed();
    const started = performance.now();
    await run(1000);
    const took = performance.now() - started;
    await until(() => server?.clients.size === 0, 5000, 'server sockets to close');
    const left = await settle(baseline, 3000);
    const after = await heapUsed();
    report(
      `1000 create/QUIT cycles in ${Math.round(took)} ms: heap ${mb(before)} → ${mb(after)} (${mb(after - before)}), left ${JSON.stringify(left)}`,
    );
    expect(left, 'resources left over the baseline').to.deep.equal({});
    expect(after - before, 'heap growth').to.be.below(HEAP_BOUND);
  });

  it('1,000 reconnect cycles of one machine: bounded heap, one socket, nothing left after QUIT', async function () {
    this.timeout(120_000);
    let opened = 0;
    server = await serve({
      onConnection: (ws) => {
        // Every connection dies soon, one way or another; the machine comes back each time.
        const way = opened++ % 3;
        if (way === 0) ws.terminate();
        else if (way === 1) ws.close(1001, 'going away');
      },
    });
    await tick();
    const baseline = resources();
    const machine = new Machine(`${server.url}/reconnect`, { minUptime: 1000, retryDelay: 0, pingInterval: 1000, pongTimeout: 1000 });
    running.add(machine);
    let connects = 0;
    machine.state$.subscribe((s) => {
      if (s.state !== State.CONNECTED) return;
      connects++;
      // The third way: the machine is asked to reconnect.
      if (connects % 3 === 0) setImmediate(() => machine.command.next(Command.RECONNECT));
    });
    // About 3 s per 1000 cycles on an idle machine; the limits leave room for a loaded one.
    await until(() => connects >= 1000, 50_000, '1000 reconnects (warm-up)');
    const before = await heapUsed();
    const from = connects;
    const started = performance.now();
    await until(() => connects >= from + 1000, 50_000, '1000 reconnects');
    const took = performance.now() - started;
    const after = await heapUsed();
    machine.command.next(Command.QUIT);
    await lastValueFrom(machine.state$);
    await until(() => server?.clients.size === 0, 5000, 'server sockets to close');
    const left = await settle(baseline, 3000);
    report(
      `1000 reconnect cycles in ${Math.round(took)} ms: heap ${mb(before)} → ${mb(after)} (${mb(after - before)}), left ${JSON.stringify(left)}`,
    );
    expect(left, 'resources left over the baseline').to.deep.equal({});
    expect(after - before, 'heap growth').to.be.below(HEAP_BOUND);
  });
});
