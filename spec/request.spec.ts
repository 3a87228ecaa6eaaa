import { expect } from 'chai';
import { type Subscription } from 'rxjs';
import { CallbackError, Command, RequestError, json, type Codec, type MachineError, type Message } from '../lib/index.js';
import { collectUnhandled } from './support/unhandled.js';
import { framesOf, virtual } from './support/virtual.js';

interface Reply {
  id: number;
  ok?: boolean;
}
interface Req {
  id: number;
  op: string;
}
const codec = json<Reply, Req>();
const byId = (id: number) => ({ match: (m: Reply) => m.id === id, timeout: 1000 });

/** What a request did: `[time, 'next …' | 'complete' | 'error reason']`. */
function outcome(log: [number, string][], now: () => number) {
  return {
    next: (r: Reply) => log.push([now(), `next ${JSON.stringify(r)}`]),
    complete: () => log.push([now(), 'complete']),
    error: (e: unknown) => log.push([now(), e instanceof RequestError ? `error ${e.reason}` : `error ${String(e)}`]),
  };
}

describe('request()', function () {
  this.timeout(5000);

  it('is lazy: nothing is sent until it is subscribed', () => {
    const { server } = virtual(
      { codec },
      ({ machine, at }) => {
        at(5, () => void machine.request({ id: 1, op: 'buy' }, byId(1)));
      },
      20,
    );
    expect(framesOf(server.connections[0]!)).to.deep.equal([]);
  });

  it('sends, then emits the first matching value received after sending, then completes', () => {
    const log: [number, string][] = [];
    const { server } = virtual(
      { codec },
      ({ machine, server, at }) => {
        at(5, () => server.lastConnection.send('{"id":1,"ok":false}')); // before the request: not its reply
        at(10, () => machine.request({ id: 1, op: 'buy' }, byId(1)).subscribe(outcome(log, () => server.scheduler.now())));
        at(12, () => server.lastConnection.send('{"id":2}'));
        at(14, () => server.lastConnection.send('{"id":1,"ok":true}'));
        at(16, () => server.lastConnection.send('{"id":1,"ok":"again"}'));
      },
      30,
    );
    expect(framesOf(server.connections[0]!)).to.deep.equal(['t:{"id":1,"op":"buy"}']);
    expect(log).to.deep.equal([
      [14, 'next {"id":1,"ok":true}'],
      [14, 'complete'],
    ]);
  });

  it('is queued while not CONNECTED, and its reply counts only after it was sent', () => {
    const log: [number, string][] = [];
    const { server } = virtual(
      { codec },
      ({ machine, server, at }) => {
        server.answer = 'manual';
        machine.request({ id: 1, op: 'buy' }, byId(1)).subscribe(outcome(log, () => server.scheduler.now()));
        at(10, () => server.lastConnection.accept());
        at(11, () => server.lastConnection.send('{"id":1}'));
      },
      30,
    );
    expect(framesOf(server.connections[0]!)).to.deep.equal(['t:{"id":1,"op":"buy"}']);
    expect(log).to.deep.equal([
      [11, 'next {"id":1}'],
      [11, 'complete'],
    ]);
  });

  it("fails with reason 'timeout' exactly timeout ms after subscription, on the machine's scheduler", () => {
    const log: [number, string][] = [];
    virtual(
      { codec },
      ({ machine, server, at }) => {
        at(10, () =>
          machine.request({ id: 1, op: 'x' }, { match: () => false, timeout: 250 }).subscribe(outcome(log, () => server.scheduler.now())),
        );
        at(20, () => machine.request({ id: 2, op: 'x' }, { match: () => false }).subscribe(outcome(log, () => server.scheduler.now())));
        at(30, () =>
          machine
            .request({ id: 3, op: 'x' }, { match: () => false, timeout: Infinity })
            .subscribe(outcome(log, () => server.scheduler.now())),
        );
      },
      20_000,
    );
    expect(log).to.deep.equal([
      [260, 'error timeout'],
      [10_020, 'error timeout'], // the default: 10 s
      [20_000, 'error stopped'], // Infinity: no timeout, until the machine stops
    ]);
  });

  it("fails with reason 'disconnected' when the connection that carried it drops, whatever happens next", () => {
    const log: [number, string][] = [];
    const world = virtual(
      { codec },
      ({ machine, server, at }) => {
        at(5, () => machine.request({ id: 1, op: 'x' }, byId(1)).subscribe(outcome(log, () => server.scheduler.now())));
        at(10, () => server.lastConnection.drop());
        at(12, () => server.lastConnection.send('{"id":1}')); // the new connection answers: too late
      },
      30,
    );
    expect(log).to.deep.equal([[10, 'error disconnected']]);
    expect(world.statuses.map(([, s]) => s)).to.include('CONNECTED ""');
  });

  it("fails with reason 'dropped' when the queue gives it up on overflow", () => {
    const log: [number, string][] = [];
    const dropped: Message[] = [];
    virtual(
      { codec, maxQueue: 1 },
      ({ machine, server }) => {
        server.answer = 'manual';
        machine.dropped$.subscribe((m) => dropped.push(m));
        machine.request({ id: 1, op: 'x' }, byId(1)).subscribe(outcome(log, () => server.scheduler.now()));
        machine.output.next({ id: 2, op: 'newer' });
      },
      30,
    );
    expect(log).to.deep.equal([[0, 'error dropped']]);
    expect(dropped[0]).to.equal('{"id":1,"op":"x"}');
  });

  it("fails with reason 'stopped' when the machine stops first (QUIT included), at once if it has stopped already", () => {
    const log: [number, string][] = [];
    virtual(
      { codec },
      ({ machine, server, at }) => {
        at(5, () => machine.request({ id: 1, op: 'sent' }, byId(1)).subscribe(outcome(log, () => server.scheduler.now())));
        at(6, () => {
          server.answer = 'manual';
          machine.command.next(Command.QUIT);
        });
        at(7, () => machine.request({ id: 2, op: 'late' }, byId(2)).subscribe(outcome(log, () => server.scheduler.now())));
      },
      30,
    );
    expect(log).to.deep.equal([
      [6, 'error stopped'],
      [7, 'error stopped'],
    ]);
  });

  it("a queued request fails 'stopped' when the machine gives up (maxAttempts)", () => {
    const log: [number, string][] = [];
    virtual(
      { codec, maxAttempts: 1 },
      ({ machine, server }) => {
        server.answer = 'refuse';
        machine.request({ id: 1, op: 'x' }, byId(1)).subscribe(outcome(log, () => server.scheduler.now()));
      },
      30,
    );
    expect(log).to.deep.equal([[0, 'error stopped']]);
  });

  it('a request unsubscribed before its message was sent is never sent', () => {
    const { server } = virtual(
      { codec },
      ({ machine, server, at }) => {
        server.answer = 'manual';
        const sub: Subscription = machine.request({ id: 1, op: 'cancelled' }, byId(1)).subscribe();
        machine.output.next({ id: 2, op: 'kept' });
        at(5, () => sub.unsubscribe());
        at(10, () => server.lastConnection.accept());
      },
      30,
    );
    expect(framesOf(server.connections[0]!)).to.deep.equal(['t:{"id":2,"op":"kept"}']);
  });

  it('throws from request() at once for a value the codec refuses, or a timeout that is not a positive number', () => {
    const strict: Codec<Reply, Req> = {
      ...codec,
      encode: (r) => {
        if (r.id < 0) throw new Error('bad id');
        return JSON.stringify(r);
      },
    };
    virtual(
      { codec: strict },
      ({ machine }) => {
        expect(() => machine.request({ id: -1, op: 'x' }, byId(1)))
          .to.throw(TypeError)
          .with.property('cause');
        for (const timeout of [0, -1, Number.NaN, 2 ** 31, '5' as unknown as number]) {
          expect(() => machine.request({ id: 1, op: 'x' }, { match: () => true, timeout }), String(timeout)).to.throw(
            RangeError,
            /request timeout/,
          );
        }
      },
      5,
    );
  });

  it('a match that throws goes to errors$ and counts as not matching', async () => {
    const log: [number, string][] = [];
    const errors: MachineError[] = [];
    const unhandled = await collectUnhandled(() => {
      virtual(
        { codec },
        ({ machine, server, at }) => {
          machine.errors$.subscribe((e) => errors.push(e));
          const match = (m: Reply): boolean => {
            if (m.id === 0) throw new Error('cannot tell');
            return m.id === 1;
          };
          at(5, () => machine.request({ id: 1, op: 'x' }, { match }).subscribe(outcome(log, () => server.scheduler.now())));
          at(6, () => server.lastConnection.send('{"id":0}'));
          at(7, () => server.lastConnection.send('{"id":1}'));
        },
        30,
      );
    });
    expect(log).to.deep.equal([
      [7, 'next {"id":1}'],
      [7, 'complete'],
    ]);
    expect(errors).to.have.length(1);
    expect(errors[0]).to.be.instanceOf(CallbackError).and.include({ option: 'request match' });
    expect(unhandled).to.deep.equal([]);
  });

  it('counts in messagesOut when it reaches the socket', () => {
    let out = -1;
    virtual(
      { codec },
      ({ machine, at }) => {
        at(5, () => machine.request({ id: 1, op: 'x' }, byId(1)).subscribe({ error: () => undefined }));
        at(6, () => (out = machine.stats().messagesOut));
      },
      30,
    );
    expect(out).to.equal(1);
  });

  it('types: the reply narrows through a type-guard match; a wrong Out value does not compile', () => {
    virtual(
      { codec },
      ({ machine }) => {
        const ok = (m: Reply): m is Reply & { ok: true } => m.ok === true;
        const reply$ = machine.request({ id: 1, op: 'x' }, { match: ok });
        reply$.subscribe({ next: (r) => expect(r.ok satisfies true).to.equal(true), error: () => undefined });
        // @ts-expect-error: not a Req
        expect(() => machine.request({ nope: 1 }, byId(1))).to.not.throw();
        // @ts-expect-error: not a Req
        machine.output.next('a string is not a Req');
      },
      5,
    );
  });
});
