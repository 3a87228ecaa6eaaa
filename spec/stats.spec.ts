import { expect } from 'chai';
import { Counters, byteSize, utf8Length } from '../lib/stats.js';

describe('stats', function () {
  this.timeout(2000);

  it('utf8Length matches a real encoder, surrogate pairs and lone surrogates included', () => {
    const encoder = new TextEncoder();
    for (const text of ['', 'abc', 'é', '€', '😀', 'a😀b', '\ud800', 'x\udc00y', 'ﾟ∀ﾟ'.repeat(20)]) {
      expect(utf8Length(text), JSON.stringify(text)).to.equal(encoder.encode(text).byteLength);
    }
    expect(byteSize(new Uint8Array(7))).to.equal(7);
  });

  it('a snapshot is a copy, with rtt and connectedSince only when known', () => {
    const counters = new Counters();
    const first = counters.snapshot(0);
    expect(first).to.not.have.property('rtt');
    expect(first).to.not.have.property('connectedSince');
    counters.messagesIn = 3;
    counters.rtt = 12;
    expect(first.messagesIn).to.equal(0);
    expect(counters.snapshot(0)).to.include({ messagesIn: 3, rtt: 12 });
  });

  it("connectedSince is kept on the machine's clock and given on the scheduler's own time", () => {
    const counters = new Counters();
    counters.connectedSince = 250; // 250 ms after the clock's epoch
    expect(counters.snapshot(1_700_000_000_000).connectedSince).to.equal(1_700_000_000_250);
  });
});
