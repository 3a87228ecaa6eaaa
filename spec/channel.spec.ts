import { expect } from 'chai';
import { of, type Subscription } from 'rxjs';
import { CallbackError, Command, json, type ChannelSpec, type MachineError } from '../lib/index.js';
import { collectUnhandled } from './support/unhandled.js';
import { framesOf, virtual } from './support/virtual.js';

interface Msg {
  ch: string;
  v?: number;
  op?: string;
}
type Price = Msg & { ch: 'prices'; v: number };
const prices: ChannelSpec<Msg, Msg> = {
  subscribe: () => ({ op: 'sub', ch: 'prices' }),
  unsubscribe: () => ({ op: 'unsub', ch: 'prices' }),
  filter: (m) => m.ch === 'prices',
};
const SUB = 't:{"op":"sub","ch":"prices"}';
const UNSUB = 't:{"op":"unsub","ch":"prices"}';

describe('channel()', function () {
  this.timeout(5000);

  it('is shared: two subscribers, one subscribe message; both get the values that pass the filter', () => {
    const a: number[] = [];
    const b: number[] = [];
    const { server } = virtual(
      { codec: json<Msg, Msg>() },
      ({ machine, server, at }) => {
        at(5, () => {
          const channel = machine.channel(prices);
          channel.subscribe((m) => a.push(m.v ?? -1));
          channel.subscribe((m) => b.push(m.v ?? -1));
        });
        at(6, () => {
          server.lastConnection.send('{"ch":"prices","v":1}');
          server.lastConnection.send('{"ch":"news","v":2}');
          server.lastConnection.send('{"ch":"prices","v":3}');
        });
      },
      20,
    );
    expect(framesOf(server.connections[0]!)).to.deep.equal([SUB]);
    expect(a).to.deep.equal([1, 3]);
    expect(b).to.deep.equal([1, 3]);
  });

  it('subscribes again on every later CONNECTED, ahead of the queue flush; never queued', () => {
    const { server } = virtual(
      { codec: json<Msg, Msg>() },
      ({ machine, server, at }) => {
        server.answer = 'manual';
        machine.channel(prices).subscribe();
        machine.output.next({ ch: 'queued-1' });
        at(5, () => server.lastConnection.accept());
        at(10, () => {
          server.answer = 'manual';
          server.lastConnection.drop(); // attempt was 0: reconnects at once
        });
        at(12, () => machine.output.next({ ch: 'queued-2' }));
        at(15, () => server.lastConnection.accept());
      },
      30,
    );
    expect(server.connections).to.have.length(2);
    expect(framesOf(server.connections[0]!)).to.deep.equal([SUB, 't:{"ch":"queued-1"}']);
    expect(framesOf(server.connections[1]!)).to.deep.equal([SUB, 't:{"ch":"queued-2"}']);
  });

  it('after a handshake, the subscribe goes out once the handshake succeeded, before the queue', () => {
    const { server } = virtual<Msg, Msg>(
      {
        codec: json<Msg, Msg>(),
        handshake: (link) => {
          link.send('{"op":"auth"}');
          return of(true);
        },
      },
      ({ machine }) => {
        machine.channel(prices).subscribe();
        machine.output.next({ ch: 'queued' });
      },
      30,
    );
    expect(framesOf(server.connections[0]!)).to.deep.equal([`t:{"op":"auth"}`, SUB, 't:{"ch":"queued"}']);
  });

  it('unsubscribes when the last subscriber leaves while CONNECTED, and not when it is not (never queued)', () => {
    const { server } = virtual(
      { codec: json<Msg, Msg>() },
      ({ machine, server, at }) => {
        let one: Subscription | undefined;
        let two: Subscription | undefined;
        at(5, () => {
          one = machine.channel(prices).subscribe();
        });
        at(6, () => {
          const channel = machine.channel(prices);
          two = channel.subscribe();
          const three = channel.subscribe();
          three.unsubscribe(); // two is still there: nothing sent
        });
        at(7, () => one?.unsubscribe());
        at(8, () => {
          server.answer = 'manual';
          server.lastConnection.drop();
        });
        at(9, () => two?.unsubscribe()); // CONNECTING: nothing sent, nothing queued
        at(12, () => server.lastConnection.accept());
      },
      30,
    );
    // Each channel() call is its own channel: `one` and `two` joined separately; only `one` left while CONNECTED.
    expect(framesOf(server.connections[0]!)).to.deep.equal([SUB, SUB, UNSUB]);
    expect(framesOf(server.connections[1]!)).to.deep.equal([]);
  });

  it('a type-guard filter narrows the element type', () => {
    const got: number[] = [];
    virtual(
      { codec: json<Msg, Msg>() },
      ({ machine, server, at }) => {
        const isPrice = (m: Msg): m is Price => m.ch === 'prices' && typeof m.v === 'number';
        at(5, () => machine.channel({ filter: isPrice }).subscribe((p) => got.push(p.v)));
        at(6, () => server.lastConnection.send('{"ch":"prices","v":4}'));
      },
      20,
    );
    expect(got).to.deep.equal([4]);
    // @ts-expect-error: a filter must take the machine's input type
    expect(() => virtual({ codec: json<Msg, Msg>() }, ({ machine }) => machine.channel({ filter: (n: number) => n > 0 }))).to.not.throw();
  });

  it('completes when the machine stops, at once if it has stopped already; never errors', () => {
    const events: string[] = [];
    virtual(
      { codec: json<Msg, Msg>() },
      ({ machine, at }) => {
        machine.channel(prices).subscribe({ complete: () => events.push('complete'), error: () => events.push('error') });
        at(5, () => machine.command.next(Command.QUIT));
        at(6, () => machine.channel(prices).subscribe({ complete: () => events.push('late complete') }));
      },
      20,
    );
    expect(events).to.deep.equal(['complete', 'late complete']);
  });

  it('a filter, subscribe or unsubscribe that throws goes to errors$ as a CallbackError; the value counts as not matching, the message is not sent', async () => {
    const errors: MachineError[] = [];
    const got: Msg[] = [];
    const unhandled = await collectUnhandled(() => {
      const { server } = virtual(
        { codec: json<Msg, Msg>() },
        ({ machine, server, at }) => {
          machine.errors$.subscribe((e) => errors.push(e));
          at(5, () => {
            const sub = machine
              .channel<Msg>({
                subscribe: () => {
                  throw new Error('no sub');
                },
                unsubscribe: () => {
                  throw new Error('no unsub');
                },
                filter: (m) => {
                  if (m.ch === 'bad') throw new Error('bad filter');
                  return true;
                },
              })
              .subscribe((m) => got.push(m));
            server.scheduler.schedule(() => sub.unsubscribe(), 5);
          });
          at(6, () => {
            server.lastConnection.send('{"ch":"bad"}');
            server.lastConnection.send('{"ch":"good"}');
          });
        },
        20,
      );
      expect(framesOf(server.connections[0]!)).to.deep.equal([]);
    });
    expect(got).to.deep.equal([{ ch: 'good' }]);
    expect(errors.map((e) => (e instanceof CallbackError ? e.option : e.name))).to.deep.equal([
      'channel subscribe',
      'channel filter',
      'channel unsubscribe',
    ]);
    expect(errors.every((e) => e instanceof CallbackError)).to.equal(true);
    expect(unhandled).to.deep.equal([]);
  });

  it('refuses a spec without a filter, naming it', () => {
    virtual(
      {},
      ({ machine }) => {
        expect(() => machine.channel({} as never)).to.throw(TypeError, /channel filter must be a function/);
        expect(() => machine.channel({ filter: () => true, subscribe: 'x' } as never)).to.throw(
          TypeError,
          /channel subscribe must be a function/,
        );
      },
      5,
    );
  });
});
