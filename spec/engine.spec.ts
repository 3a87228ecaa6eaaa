// The machine's engine in virtual time: codecs on both paths, errors$, status, the counters, and
// the contract's clarified rows (zero delay, online$ changes, RECONNECT offline, ping cadence).
import { expect } from 'chai';
import { BehaviorSubject, config as rxjsConfig, map, mergeMap, Subscription } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import {
  CallbackError,
  Command,
  DecodeError,
  type Machine,
  State,
  json,
  type Codec,
  type MachineError,
  type Message,
  type Stats,
  type Status,
} from '../lib/index.js';
import { resolveOptions } from '../lib/config.js';
import { Engine } from '../lib/engine.js';
import { nodePlatform } from '../lib/platform-node.js';
import { FakeServer } from '../lib/testing/index.js';
import { countingScheduler } from './support/scheduler.js';
import { collectUnhandled } from './support/unhandled.js';
import { framesOf, label, virtual } from './support/virtual.js';

interface Tick {
  symbol: string;
  price: number;
}
interface Cmd {
  op: string;
  symbol?: string;
}

describe('engine: codec', function () {
  this.timeout(5000);

  it('output.next encodes at once: a queued message is already encoded and later changes do not show', () => {
    const { server } = virtual<Tick, Cmd>(
      { codec: json<Tick, Cmd>() },
      ({ machine, server, at }) => {
        server.answer = 'manual';
        const order: Cmd = { op: 'buy', symbol: 'ACME' };
        machine.output.next(order);
        order.symbol = 'CHANGED';
        at(10, () => server.lastConnection.accept());
      },
      50,
    );
    expect(framesOf(server.connections[0]!)).to.deep.equal(['t:{"op":"buy","symbol":"ACME"}']);
  });

  it('dropped$ emits what the queue gave up, encoded', () => {
    const dropped: Message[] = [];
    virtual<Tick, Cmd>(
      { codec: json<Tick, Cmd>(), maxQueue: 1 },
      ({ machine, server }) => {
        server.answer = 'manual';
        machine.dropped$.subscribe((m) => dropped.push(m));
        machine.output.next({ op: 'a' });
        machine.output.next({ op: 'b' });
      },
      50,
    );
    // 'a' on overflow, 'b' still queued at the stop: nothing is lost silently.
    expect(dropped).to.deep.equal(['{"op":"a"}', '{"op":"b"}']);
  });

  it('a value the codec refuses makes output.next throw a TypeError whose cause is what encode threw; the queue goes on', () => {
    const refusal = new Error('no negative prices');
    const codec: Codec<Message, number> = {
      encode: (n) => {
        if (n < 0) throw refusal;
        return String(n);
      },
      decode: (m) => m,
      format: 'text',
    };
    let thrown: unknown;
    const { server } = virtual<Message, number>(
      { codec },
      ({ machine, server, at }) => {
        server.answer = 'manual';
        machine.output.next(1);
        try {
          machine.output.next(-1);
        } catch (error) {
          thrown = error;
        }
        machine.output.next(2);
        at(10, () => server.lastConnection.accept());
      },
      50,
    );
    expect(thrown).to.be.instanceOf(TypeError).with.property('cause', refusal);
    expect((thrown as Error).message).to.match(/codec refused/);
    expect(framesOf(server.connections[0]!)).to.deep.equal(['t:1', 't:2']);
  });

  it('input$ emits decoded values, decoded once per message whatever the number of subscribers', () => {
    let decodes = 0;
    const codec: Codec<Tick, Cmd> = { ...json<Tick, Cmd>(), decode: (m) => (decodes++, json<Tick, Cmd>().decode(m)) };
    const a: Tick[] = [];
    const b: Tick[] = [];
    virtual(
      { codec },
      ({ machine, server, at }) => {
        machine.input$.subscribe((t) => a.push(t));
        machine.input$.subscribe((t) => b.push(t));
        at(5, () => server.lastConnection.send('{"symbol":"ACME","price":1}'));
        at(6, () => server.lastConnection.send(new TextEncoder().encode('{"symbol":"ACME","price":2}')));
      },
      50,
    );
    expect(a.map((t) => t.price)).to.deep.equal([1, 2]);
    expect(b).to.deep.equal(a);
    expect(decodes).to.equal(2);
  });

  it('a message that fails to decode is not emitted: a DecodeError with the raw message goes to errors$, and the machine goes on', () => {
    const got: Tick[] = [];
    const errors: MachineError[] = [];
    const world = virtual(
      { codec: json<Tick, Cmd>() },
      ({ machine, server, at }) => {
        machine.input$.subscribe((t) => got.push(t));
        machine.errors$.subscribe((e) => errors.push(e));
        at(5, () => server.lastConnection.send('{broken'));
        at(6, () => server.lastConnection.send('{"symbol":"X","price":3}'));
      },
      50,
    );
    expect(got).to.deep.equal([{ symbol: 'X', price: 3 }]);
    expect(errors).to.have.length(1);
    expect(errors[0]).to.be.instanceOf(DecodeError).and.include({ name: 'DecodeError', data: '{broken' });
    expect((errors[0] as DecodeError).cause).to.be.instanceOf(SyntaxError);
    expect(world.statuses.map(([, s]) => s)).to.deep.equal(['CONNECTING 0', 'CONNECTED ""', 'DISCONNECTED']);
  });

  it('the codec format decides the frame type unless the format option is given; the heartbeat never goes through the codec', () => {
    const asText = virtual({ codec: json() }, ({ machine }) => machine.output.next({ a: 1 }), 20);
    expect(framesOf(asText.server.connections[0]!)).to.deep.equal(['t:{"a":1}']);
    const asBinary = virtual(
      { codec: json(), format: 'binary', heartbeat: 'hb', pingInterval: 30, pongTimeout: 100 },
      ({ machine }) => {
        machine.output.next({ a: 1 });
      },
      40,
    );
    expect(framesOf(asBinary.server.connections[0]!)).to.deep.equal([
      `b:${[...new TextEncoder().encode('{"a":1}')].join(',')}`,
      `b:${[...new TextEncoder().encode('hb')].join(',')}`,
    ]);
  });

  it('without a codec nothing changes: raw messages both ways', () => {
    const got: Message[] = [];
    const { server } = virtual(
      {},
      ({ machine, server, at }) => {
        machine.input$.subscribe((m) => got.push(m));
        machine.output.next('x');
        at(5, () => server.lastConnection.send('{not json'));
      },
      20,
    );
    expect(got).to.deep.equal(['{not json']);
    expect(framesOf(server.connections[0]!)).to.deep.equal(['b:120']);
  });
});

describe('engine: errors$', function () {
  this.timeout(5000);
  let unhandled: unknown[] = [];
  const saved = rxjsConfig.onUnhandledError;
  beforeEach(() => {
    unhandled = [];
    rxjsConfig.onUnhandledError = (e) => unhandled.push(e);
  });
  afterEach(() => {
    rxjsConfig.onUnhandledError = saved;
  });

  it('a retryDelay that throws: CallbackError naming it on errors$, the default backoff used, nothing unhandled', () => {
    const boom = new Error('boom');
    const errors: MachineError[] = [];
    const world = virtual(
      {
        retryDelay: () => {
          throw boom;
        },
      },
      ({ machine, server }) => {
        server.answer = 'refuse';
        machine.errors$.subscribe((e) => errors.push(e));
      },
      10,
    );
    expect(errors[0]).to.be.instanceOf(CallbackError).and.include({ name: 'CallbackError', option: 'retryDelay', cause: boom });
    const waiting = world.statuses.find(([, s]) => s.startsWith('WAITING'));
    const delay = Number(waiting?.[1].split(' ')[2]);
    expect(delay).to.be.within(500, 1000); // the default backoff for attempt 1
    expect(unhandled).to.deep.equal([]);
  });

  it('a retryDelay that returns NaN or a negative number is reported and replaced by the default', () => {
    for (const bad of [Number.NaN, -5, 'soon']) {
      const errors: MachineError[] = [];
      virtual(
        { retryDelay: () => bad as number },
        ({ machine, server }) => {
          server.answer = 'refuse';
          machine.errors$.subscribe((e) => errors.push(e));
        },
        10,
      );
      expect(errors[0], String(bad)).to.be.instanceOf(CallbackError).and.include({ option: 'retryDelay' });
      expect((errors[0] as CallbackError).cause).to.be.instanceOf(RangeError);
    }
    expect(unhandled).to.deep.equal([]);
  });

  it('a shouldReconnect that throws is read as true and reported', () => {
    const boom = new Error('nope');
    const errors: MachineError[] = [];
    const world = virtual(
      {
        shouldReconnect: () => {
          throw boom;
        },
      },
      ({ machine, server }) => {
        server.answer = 'refuse';
        machine.errors$.subscribe((e) => errors.push(e));
      },
      150,
    );
    expect(errors[0]).to.include({ option: 'shouldReconnect', cause: boom });
    expect(world.statuses.map(([t, s]) => `${t} ${s}`).slice(0, 4)).to.deep.equal([
      '0 CONNECTING 0',
      '0 DISCONNECTED ConnectError',
      '0 WAITING 1 100',
      '100 CONNECTING 1',
    ]);
    expect(unhandled).to.deep.equal([]);
  });

  it('never errors, and completes when the machine stops (at once for a late subscriber)', () => {
    const events: string[] = [];
    let machine: Machine | undefined;
    virtual(
      {},
      (world) => {
        machine = world.machine;
        world.machine.errors$.subscribe({ error: () => events.push('error'), complete: () => events.push('complete') });
      },
      10,
    );
    expect(events).to.deep.equal(['complete']);
    machine?.errors$.subscribe({ complete: () => events.push('late complete') });
    expect(events).to.deep.equal(['complete', 'late complete']);
  });
});

describe('engine: status', function () {
  this.timeout(5000);

  it('machine.status is the current status, synchronously: the value state$ replays', () => {
    const seen: Status[] = [];
    virtual(
      {},
      ({ machine, at }) => {
        seen.push(machine.status);
        at(5, () => seen.push(machine.status));
        at(20, () => {
          machine.command.next(Command.QUIT);
          seen.push(machine.status);
        });
      },
      30,
    );
    expect(seen).to.deep.equal([{ state: 'CONNECTING', attempt: 0 }, { state: 'CONNECTED', protocol: '' }, { state: 'DISCONNECTED' }]);
  });

  it('narrows on state (types)', () => {
    const s = { state: State.WAITING, attempt: 1, delay: 5 } as Status;
    if (s.state === State.WAITING) {
      const attempt: number = s.attempt;
      expect(attempt).to.equal(1);
    }
    if (s.state === State.CONNECTED) {
      const protocol: string = s.protocol;
      // @ts-expect-error: a CONNECTED status has no attempt
      const attempt: number = s.attempt;
      expect([protocol, attempt]).to.have.length(2);
    }
    if (s.state === State.DISCONNECTED && s.error) {
      const name: string = s.error.name;
      expect(name).to.be.a('string');
    }
  });
});

describe('engine: stats()', function () {
  this.timeout(5000);

  it('counts connects, drops (RECONNECT included), failures, and stamps connectedSince', () => {
    const snaps: Stats[] = [];
    virtual(
      { minUptime: 0 },
      ({ machine, server, at }) => {
        at(10, () => snaps.push(machine.stats()));
        at(20, () => server.lastConnection.drop()); // a drop → reconnect at once
        at(30, () => machine.command.next(Command.RECONNECT)); // a drop too
        at(40, () => {
          server.answer = 'refuse';
          server.lastConnection.drop();
        });
        at(45, () => snaps.push(machine.stats()));
      },
      50,
    );
    expect(snaps[0]).to.include({ connects: 1, drops: 0, failures: 0, connectedSince: 0 });
    expect(snaps[1]).to.include({ connects: 3, drops: 3, failures: 1 });
    expect(snaps[1]).to.not.have.property('connectedSince');
  });

  it('counts messages and UTF-8 payload bytes both ways, decode failures, and what was dropped; not heartbeats', () => {
    let stats: Stats | undefined;
    virtual(
      { codec: json(), maxQueue: 1, heartbeat: 'hb', pingInterval: 15, pongTimeout: 100 },
      ({ machine, server, at }) => {
        server.answer = 'manual';
        machine.output.next('queued-then-dropped');
        machine.output.next('é'); // '"é"': 4 bytes
        at(5, () => server.lastConnection.accept());
        at(6, () => server.lastConnection.send('{"a":"é"}')); // 10 bytes
        at(7, () => server.lastConnection.send('{bad')); // 4 bytes
        at(40, () => (stats = machine.stats()));
      },
      50,
    );
    expect(stats).to.include({ messagesOut: 1, bytesOut: 4, messagesIn: 2, bytesIn: 14, decodeErrors: 1, dropped: 1 });
  });

  it('rtt where pings are heartbeats: from the heartbeat to the next message, on the scheduler clock', () => {
    let stats: Stats | undefined;
    virtual(
      { heartbeat: 'hb', pingInterval: 100, pongTimeout: 50 },
      ({ machine, server }) => {
        // The server answers every frame (here: the heartbeat) 7 ms later.
        server.connection$
          .pipe(mergeMap((c) => c.received$.pipe(map(() => c))))
          .subscribe((c) => server.scheduler.schedule(() => c.send('pong'), 7));
        machine.input$.subscribe(() => (stats = machine.stats()));
      },
      150,
    );
    expect(stats?.rtt).to.equal(7);
  });
});

describe('engine: the contract’s clarified rows, in virtual time', function () {
  this.timeout(5000);

  it('a retryDelay of 0 costs no timer tick: WAITING and CONNECTING at the same instant', () => {
    const world = virtual(
      { retryDelay: 0 },
      ({ server, at }) => {
        server.answer = 'refuse';
        at(0, () => (server.answer = 'accept'));
      },
      20,
    );
    expect(world.statuses.slice(0, 5)).to.deep.equal([
      [0, 'CONNECTING 0'],
      [0, 'DISCONNECTED ConnectError'],
      [0, 'WAITING 1 0'],
      [0, 'CONNECTING 1'],
      [0, 'CONNECTED ""'],
    ]);
  });

  it('only a change of online$ to true cuts a wait short; a repeated true changes nothing', () => {
    const online$ = new BehaviorSubject(true);
    const world = virtual(
      { online$, retryDelay: 1000 },
      ({ server, at }) => {
        server.answer = 'refuse';
        at(10, () => online$.next(true));
        at(20, () => online$.next(false));
        at(30, () => {
          server.answer = 'accept';
          online$.next(true);
        });
      },
      40,
    );
    expect(world.statuses).to.deep.equal([
      [0, 'CONNECTING 0'],
      [0, 'DISCONNECTED ConnectError'],
      [0, 'WAITING 1 1000'],
      [20, 'WAITING 1'],
      [30, 'CONNECTING 1'],
      [30, 'CONNECTED ""'],
      [40, 'DISCONNECTED'],
    ]);
  });

  it('RECONNECT while offline does nothing, in WAITING and in CONNECTED; RECONNECT in WAITING tries at once', () => {
    const online$ = new BehaviorSubject(true);
    const world = virtual(
      { online$, retryDelay: 1000 },
      ({ machine, server, at }) => {
        at(5, () => online$.next(false));
        at(10, () => machine.command.next(Command.RECONNECT)); // CONNECTED, offline: nothing
        at(15, () => {
          online$.next(true);
          server.answer = 'refuse';
          server.lastConnection.drop();
        });
        at(20, () => machine.command.next(Command.RECONNECT)); // WAITING, online: at once
      },
      30,
    );
    expect(world.statuses).to.deep.equal([
      [0, 'CONNECTING 0'],
      [0, 'CONNECTED ""'],
      [15, 'DISCONNECTED CloseError'],
      [15, 'CONNECTING 1'],
      [15, 'DISCONNECTED ConnectError'],
      [15, 'WAITING 2 1000'],
      [20, 'CONNECTING 2'],
      [20, 'DISCONNECTED ConnectError'],
      [20, 'WAITING 3 1000'],
      [30, 'DISCONNECTED'],
    ]);
  });
});

describe('engine: the loop', function () {
  this.timeout(5000);

  it('the engine is the loop’s own subscriber: scan’s subscriber is held in a field, not a finalizer array, and QUIT takes the loop down', () => {
    const scheduler = new TestScheduler(() => undefined);
    scheduler.run(() => {
      const server = new FakeServer({ scheduler });
      const engine = new Engine('ws://test/', resolveOptions({ WebSocket: server.WebSocket, scheduler }, nodePlatform));
      const inside = engine as unknown as { upstream: Subscription | undefined; _finalizers: unknown };
      expect(inside.upstream).to.be.instanceOf(Subscription);
      expect(inside._finalizers).to.equal(undefined);
      const states: string[] = [];
      engine.state$.subscribe((s) => states.push(s.state));
      scheduler.flush();
      expect(states).to.deep.equal(['CONNECTING', 'CONNECTED']);
      engine.command(Command.QUIT);
      expect(engine.closed).to.equal(true);
      expect(inside.upstream?.closed).to.equal(true);
      expect(states).to.deep.equal(['CONNECTING', 'CONNECTED', 'DISCONNECTED']);
    });
  });

  it('a machine that only listens makes no outbox, through connects, a drop and a format change', () => {
    const scheduler = new TestScheduler(() => undefined);
    scheduler.run(() => {
      const server = new FakeServer({ scheduler });
      const engine = new Engine<Message, Message>(
        'ws://test/',
        resolveOptions({ WebSocket: server.WebSocket, scheduler, retryDelay: 0 }, nodePlatform),
      );
      const inside = engine as unknown as { box: unknown };
      const got: Message[] = [];
      engine.input$.subscribe((m) => got.push(m));
      scheduler.schedule(() => server.lastConnection.send('one'), 10);
      scheduler.schedule(() => server.lastConnection.close(1012), 20);
      scheduler.schedule(() => (engine.binary = false), 30);
      scheduler.schedule(() => server.lastConnection.send('two'), 40);
      scheduler.flush();
      expect(got).to.deep.equal(['one', 'two']);
      expect(engine.counters).to.include({ connects: 2, drops: 1, messagesIn: 2 });
      expect(inside.box).to.equal(undefined);
      engine.command(Command.QUIT);
      expect(inside.box).to.equal(undefined);
    });
  });

  it('an outbox made while CONNECTED sends at once; one made after the stop takes nothing and its dropped$ ends', () => {
    const scheduler = new TestScheduler(() => undefined);
    scheduler.run(() => {
      const server = new FakeServer({ scheduler });
      const engine = new Engine('ws://test/', resolveOptions({ WebSocket: server.WebSocket, scheduler, format: 'text' }, nodePlatform));
      scheduler.flush();
      expect(engine.statusCast.value?.state).to.equal('CONNECTED');
      engine.send('first');
      scheduler.flush();
      expect(framesOf(server.lastConnection)).to.deep.equal(['t:first']);
      expect(engine.counters).to.include({ messagesOut: 1, bytesOut: 5 });
    });
    scheduler.run(() => {
      const server = new FakeServer({ scheduler });
      const engine = new Engine('ws://test/', resolveOptions({ WebSocket: server.WebSocket, scheduler }, nodePlatform));
      scheduler.flush();
      engine.command(Command.QUIT);
      let ended = false;
      engine.outbox.dropped$.subscribe({ complete: () => (ended = true) });
      expect(ended).to.equal(true);
      engine.post({ message: 'late', cancelled: false, sent: () => expect.fail('sent after the stop'), dropped: () => undefined });
      scheduler.flush();
      expect(framesOf(server.lastConnection)).to.deep.equal([]);
    });
  });

  it('a step’s timers reach the scheduler once: cancelled and started together, they cost one call or none', () => {
    const test = new TestScheduler(() => undefined);
    const calls: string[] = [];
    const at: [number, string][] = [];
    test.run(() => {
      const server = new FakeServer({ scheduler: test });
      // The clock runs on a scheduler that writes down its calls; the fake server on the plain one.
      const engine = new Engine(
        'ws://test/',
        resolveOptions({ WebSocket: server.WebSocket, scheduler: countingScheduler(test, calls) }, nodePlatform),
      );
      engine.state$.subscribe((s) => at.push([test.now(), `${s.state} ${calls.join(', ')}`]));
      test.schedule(() => engine.command(Command.RECONNECT), 100);
      test.schedule(() => engine.command(Command.QUIT), 200);
    });
    expect(at).to.deep.equal([
      // CONNECTING: the connect timeout (5 s).
      [0, 'CONNECTING schedule 5000'],
      // CONNECTED: the connect timeout goes, minUptime (5 s) and the keep-alive (30 s) come. Unheld,
      // the clock would cancel its action and make a new one; held, it sees the earliest time is
      // the one it is armed for, and makes no call.
      [0, 'CONNECTED schedule 5000'],
      // RECONNECT: minUptime and the keep-alive go, a new connect timeout comes: one move, where
      // unheld the clock would cancel its action when left empty, then make a new one. The move
      // comes at the step's end, after its statuses, so the next status is the first to show it;
      // the new CONNECTED step then finds the action where it needs it.
      [100, 'DISCONNECTED schedule 5000'],
      [100, 'CONNECTING schedule 5000'],
      [100, 'CONNECTED schedule 5000, reschedule 5000'],
      [200, 'DISCONNECTED schedule 5000, reschedule 5000'],
    ]);
    expect(calls.at(-1)).to.equal('unsubscribe'); // QUIT: nothing left on the clock
  });

  it('machines share one scan operator, and each steps under its own policy, however their events interleave', () => {
    const scheduler = new TestScheduler(() => undefined);
    const seen: string[] = [];
    scheduler.run(() => {
      const server = new FakeServer({ scheduler });
      server.answer = 'manual'; // no socket ever opens: every attempt ends at its connect timeout
      const engines = [
        new Engine(
          'ws://test/a',
          resolveOptions({ WebSocket: server.WebSocket, scheduler, connectTimeout: 100, retryDelay: 1000 }, nodePlatform),
        ),
        new Engine(
          'ws://test/b',
          resolveOptions({ WebSocket: server.WebSocket, scheduler, connectTimeout: 300, retryDelay: 50 }, nodePlatform),
        ),
      ];
      engines.forEach((engine, i) => engine.state$.subscribe((s) => seen.push(`${scheduler.now()} ${'ab'[i]} ${label(s)}`)));
      scheduler.schedule(() => engines.forEach((e) => e.command(Command.QUIT)), 700);
    });
    expect(seen).to.deep.equal([
      '0 a CONNECTING 0',
      '0 b CONNECTING 0',
      '100 a DISCONNECTED ConnectTimeoutError',
      '100 a WAITING 1 1000',
      '300 b DISCONNECTED ConnectTimeoutError',
      '300 b WAITING 1 50',
      '350 b CONNECTING 1',
      '650 b DISCONNECTED ConnectTimeoutError',
      '650 b WAITING 2 50',
      '700 a DISCONNECTED',
      '700 b DISCONNECTED',
    ]);
  });

  it('machines that share a config each make the platform’s default online$ for themselves', () => {
    const scheduler = new TestScheduler(() => undefined);
    scheduler.run(() => {
      const server = new FakeServer({ scheduler });
      const made: BehaviorSubject<boolean>[] = [];
      const platform = {
        ...nodePlatform,
        online$: () => {
          made.push(new BehaviorSubject(false));
          return made[made.length - 1]!.asObservable();
        },
      };
      const options = { WebSocket: server.WebSocket, scheduler };
      const config = resolveOptions(options, platform);
      expect(resolveOptions(options, platform)).to.equal(config);
      const engines = [new Engine('ws://test/a', config), new Engine('ws://test/b', config)];
      expect(made).to.have.length(2);
      expect(engines.map((e) => e.statusCast.value?.state)).to.deep.equal([State.WAITING, State.WAITING]);
      made[1]!.next(true);
      scheduler.flush();
      expect(engines.map((e) => e.statusCast.value?.state)).to.deep.equal([State.WAITING, State.CONNECTED]);
      expect(engines.map((e) => e.latestUrl)).to.deep.equal(['ws://test/a', 'ws://test/b']);
      for (const e of engines) e.command(Command.QUIT);
    });
  });

  it('the loop’s error (what scan passes on when the reducer throws) ends the loop and is reported as RxJS reports it, not thrown into the caller', async () => {
    const boom = new Error('bug');
    const reported = await collectUnhandled(() => {
      const scheduler = new TestScheduler(() => undefined);
      const server = new FakeServer({ scheduler });
      const engine = new Engine('ws://test/', resolveOptions({ WebSocket: server.WebSocket, scheduler }, nodePlatform));
      engine.error(boom);
      expect(engine.closed).to.equal(true);
    });
    expect(reported).to.deep.equal([boom]);
  });
});
