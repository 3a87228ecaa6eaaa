import { expect } from 'chai';
import { TestScheduler } from 'rxjs/testing';
import { Outbox, type OutboxConfig, type OutboxHost, type Parcel } from '../lib/outbox.js';
import { Counters } from '../lib/stats.js';
import type { Transport } from '../lib/transport.js';
import type { Message } from '../lib/types.js';

/** A socket stand-in: records frames as `t:…`/`b:…`; `open` and `buffered` are the test's to set. */
class StubTransport implements Transport {
  frames: string[] = [];
  open = true;
  buffered = 0;
  get bufferedAmount(): number {
    return this.buffered;
  }
  send(message: Message, binary: boolean): number {
    if (!this.open) return -1;
    this.frames.push(`${binary ? 'b' : 't'}:${String(message)}`);
    return typeof message === 'string' ? message.length : message.byteLength;
  }
  ping(): boolean {
    return true;
  }
  close(): void {
    this.open = false;
  }
}

/** The machine's side, as the engine keeps it: the frame format and the CONNECTED socket. */
interface Host extends OutboxHost {
  binary: boolean;
  live: Transport | undefined;
}

function setup(over: Partial<OutboxConfig> = {}) {
  const scheduler = new TestScheduler(() => undefined);
  const counters = new Counters();
  const host: Host = {
    config: { maxQueue: 3, overflow: 'drop-oldest', highWaterMark: 100, scheduler, ...over },
    counters,
    binary: false,
    live: undefined,
  };
  const outbox = new Outbox(host);
  const dropped: Message[] = [];
  outbox.dropped$.subscribe((m) => dropped.push(m));
  /** As the engine does on CONNECTED: the socket is the host's, `first` goes ahead, then the queue. */
  const attach = (transport: Transport, first?: () => void) => {
    host.live = transport;
    first?.();
    outbox.attached();
  };
  const detach = () => {
    host.live = undefined;
    outbox.detached();
  };
  return { scheduler, counters, host, outbox, attach, detach, dropped, transport: new StubTransport() };
}

const parcel = (message: string, log: string[]): Parcel => ({
  message,
  cancelled: false,
  sent: () => log.push(`sent ${message}`),
  dropped: () => log.push(`dropped ${message}`),
});

describe('Outbox', function () {
  this.timeout(2000);

  it('queues while detached and flushes in order on attach, before anything sent later', () => {
    const { outbox, attach, transport } = setup();
    outbox.send('a');
    outbox.send('b');
    attach(transport, () => transport.send('first', false));
    outbox.send('c');
    expect(transport.frames).to.deep.equal(['t:first', 't:a', 't:b', 't:c']);
  });

  it('drop-oldest and drop-newest give up one message each on overflow, on dropped$; maxQueue 0 queues nothing', () => {
    const oldest = setup();
    for (const m of ['1', '2', '3', '4']) oldest.outbox.send(m);
    expect(oldest.dropped).to.deep.equal(['1']);
    const newest = setup({ overflow: 'drop-newest' });
    for (const m of ['1', '2', '3', '4']) newest.outbox.send(m);
    expect(newest.dropped).to.deep.equal(['4']);
    const none = setup({ maxQueue: 0 });
    none.outbox.send('x');
    expect(none.dropped).to.deep.equal(['x']);
    expect(none.counters.dropped).to.equal(1);
  });

  it('applies the current frame format to queued messages too', () => {
    const { outbox, host, attach, transport } = setup();
    outbox.send('a');
    host.binary = true;
    attach(transport);
    expect(transport.frames).to.deep.equal(['b:a']);
  });

  it('holds messages while bufferedAmount is over highWaterMark, and drains when the socket has room', () => {
    const { outbox, attach, transport, scheduler } = setup();
    scheduler.run(() => {
      attach(transport);
      transport.buffered = 500;
      outbox.send('held');
      expect(transport.frames).to.deep.equal([]);
      scheduler.schedule(() => (transport.buffered = 0), 12);
      scheduler.flush();
      expect(transport.frames).to.deep.equal(['t:held']);
    });
  });

  it('counts what reaches the socket, sent directly or ahead of the queue', () => {
    const { outbox, attach, transport, counters } = setup();
    attach(transport);
    outbox.send('abc');
    outbox.sendAhead('de');
    expect(counters).to.include({ messagesOut: 2, bytesOut: 5 });
  });

  it('sends ahead only on a CONNECTED socket, and goes straight out only with nothing queued', () => {
    const { outbox, attach, detach, transport } = setup();
    expect(outbox.sendAhead('early')).to.equal(false);
    attach(transport);
    detach();
    outbox.send('queued');
    attach(transport, () => outbox.sendAhead('join'));
    outbox.send('after');
    expect(transport.frames).to.deep.equal(['t:join', 't:queued', 't:after']);
  });

  it('tells a parcel when it is sent or dropped, and skips one that was cancelled', () => {
    const log: string[] = [];
    const { outbox, attach, transport, dropped } = setup({ maxQueue: 2 });
    const cancelled = parcel('cancelled', log);
    outbox.send(parcel('p1', log));
    outbox.send(cancelled);
    cancelled.cancelled = true;
    outbox.send(parcel('p3', log)); // overflow: p1 goes
    attach(transport);
    expect(log).to.deep.equal(['dropped p1', 'sent p3']);
    expect(dropped).to.deep.equal(['p1']);
    expect(transport.frames).to.deep.equal(['t:p3']);
  });

  it('dispose gives up what is still queued on dropped$ (a parcel is not told: its machine stopped) and completes', () => {
    const log: string[] = [];
    const { outbox, dropped } = setup();
    let completed = false;
    outbox.dropped$.subscribe({ complete: () => (completed = true) });
    outbox.send('a');
    outbox.send(parcel('p', log));
    outbox.dispose();
    outbox.send('after');
    expect(dropped).to.deep.equal(['a', 'p']);
    expect(log).to.deep.equal([]);
    expect(completed).to.equal(true);
  });

  it('a socket that refuses a send (closing) keeps the message queued for the next connection', () => {
    const { outbox, attach, detach, transport } = setup();
    outbox.send('a');
    transport.open = false;
    attach(transport);
    detach();
    const next = new StubTransport();
    attach(next);
    expect(next.frames).to.deep.equal(['t:a']);
  });
});
