import { expect } from 'chai';
import { BehaviorSubject, Subject, map, mergeMap, take, throwError } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import {
  CloseError,
  Command,
  ConnectTimeoutError,
  HandshakeError,
  Machine,
  PongTimeoutError,
  State,
  type MachineOptions,
  type Status,
} from '../lib/index.js';
import { FakeServer } from '../lib/testing/index.js';
import { framesOf$ } from './support/virtual.js';

/** A status as one readable line: `WAITING 2 200`, `DISCONNECTED ConnectTimeoutError`, `CONNECTED ""`. */
function label(s: Status): string {
  if (s.state === State.CONNECTED) return `CONNECTED "${s.protocol}"`;
  if (s.state === State.DISCONNECTED) return s.error ? `DISCONNECTED ${s.error.name}` : 'DISCONNECTED';
  return [s.state, s.attempt, s.delay].filter((x) => x !== undefined).join(' ');
}

/**
 * Runs `body` in virtual time with a fake server and returns every status as `[time, label]`.
 * Everything the machine does happens on the TestScheduler, so times are exact.
 */
function scenario(
  options: MachineOptions,
  body: (ctx: { machine: Machine; server: FakeServer; at: (ms: number, fn: () => void) => void; scheduler: TestScheduler }) => void,
  until = 10_000,
): [number, string][] {
  const scheduler = new TestScheduler((a, b) => {
    expect(a).to.deep.equal(b);
  });
  const seen: [number, string][] = [];
  scheduler.run(() => {
    const server = new FakeServer({ scheduler });
    const machine = new Machine('ws://test/', { WebSocket: server.WebSocket, scheduler, retryDelay: 100, ...options });
    machine.state$.subscribe((s) => seen.push([scheduler.now(), label(s)]));
    const at = (ms: number, fn: () => void): void => void scheduler.schedule(fn, ms);
    body({ machine, server, at, scheduler });
    at(until, () => machine.command.next(Command.QUIT));
  });
  return seen;
}

/** A scenario body that does nothing: the machine is left to itself. */
function nothing(): void {
  // Nothing to arrange.
}

describe('Machine in virtual time (TestScheduler + FakeServer)', function () {
  this.timeout(5000);

  it('connect: CONNECTING → CONNECTED, and QUIT: one final DISCONNECTED, then completion', () => {
    expect(scenario({}, nothing, 50)).to.deep.equal([
      [0, 'CONNECTING 0'],
      [0, 'CONNECTED ""'],
      [50, 'DISCONNECTED'],
    ]);
  });

  it('pins the state$ sequence as a marble diagram', () => {
    const scheduler = new TestScheduler((a, b) => {
      expect(a).to.deep.equal(b);
    });
    scheduler.run(({ expectObservable }) => {
      const server = new FakeServer({ scheduler, answer: 'refuse' });
      const machine = new Machine('ws://test/', { WebSocket: server.WebSocket, scheduler, retryDelay: 10, maxAttempts: 2 });
      // attempt 0 fails at once → wait 10 → attempt 1 fails → give up: the error stays on the last status.
      expectObservable(machine.state$.pipe(map(label))).toBe('(abc) 5ms (de|)', {
        a: 'CONNECTING 0',
        b: 'DISCONNECTED ConnectError',
        c: 'WAITING 1 10',
        d: 'CONNECTING 1',
        e: 'DISCONNECTED ConnectError',
      });
    });
  });

  it('a failed attempt: CONNECTING → DISCONNECTED(error) → WAITING(attempt, delay) → CONNECTING, with growing attempts', () => {
    const seen = scenario(
      { retryDelay: (n) => n * 100 },
      ({ server, at }) => {
        server.answer = 'refuse';
        at(250, () => (server.answer = 'accept'));
      },
      400,
    );
    expect(seen).to.deep.equal([
      [0, 'CONNECTING 0'],
      [0, 'DISCONNECTED ConnectError'],
      [0, 'WAITING 1 100'],
      [100, 'CONNECTING 1'],
      [100, 'DISCONNECTED ConnectError'],
      [100, 'WAITING 2 200'],
      [300, 'CONNECTING 2'],
      [300, 'CONNECTED ""'],
      [400, 'DISCONNECTED'],
    ]);
  });

  it('connectTimeout: an upgrade never answered is a failed attempt at exactly connectTimeout', () => {
    let error: unknown;
    const seen = scenario(
      { connectTimeout: 300 },
      ({ server, machine }) => {
        server.answer = 'manual';
        machine.state$.subscribe((s) => s.error && (error = s.error));
      },
      450,
    );
    expect(seen.slice(0, 4)).to.deep.equal([
      [0, 'CONNECTING 0'],
      [300, 'DISCONNECTED ConnectTimeoutError'],
      [300, 'WAITING 1 100'],
      [400, 'CONNECTING 1'],
    ]);
    expect(error).to.be.instanceOf(ConnectTimeoutError).and.include({ timeout: 300 });
  });

  it('a drop with attempt 0 reconnects at once; drops before minUptime then wait longer each time', () => {
    const seen = scenario(
      { retryDelay: (n) => n * 100, minUptime: 1000 },
      ({ server }) => {
        // A server that accepts and drops every connection after 10 ms.
        server.connection$.subscribe((c) => server.scheduler.schedule(() => c.drop(), 10));
      },
      650,
    );
    expect(seen).to.deep.equal([
      [0, 'CONNECTING 0'],
      [0, 'CONNECTED ""'],
      [10, 'DISCONNECTED CloseError'],
      [10, 'CONNECTING 1'],
      [10, 'CONNECTED ""'],
      [20, 'DISCONNECTED CloseError'],
      [20, 'WAITING 2 200'],
      [220, 'CONNECTING 2'],
      [220, 'CONNECTED ""'],
      [230, 'DISCONNECTED CloseError'],
      [230, 'WAITING 3 300'],
      [530, 'CONNECTING 3'],
      [530, 'CONNECTED ""'],
      [540, 'DISCONNECTED CloseError'],
      [540, 'WAITING 4 400'],
      [650, 'DISCONNECTED'],
    ]);
  });

  it('attempt goes back to 0 once a connection has been up minUptime ms', () => {
    const seen = scenario(
      { minUptime: 500 },
      ({ server, at }) => {
        server.answer = 'refuse';
        at(50, () => (server.answer = 'accept'));
        at(700, () => server.dropAll()); // up since 100: 600 ms ≥ minUptime
      },
      800,
    );
    expect(seen).to.deep.equal([
      [0, 'CONNECTING 0'],
      [0, 'DISCONNECTED ConnectError'],
      [0, 'WAITING 1 100'],
      [100, 'CONNECTING 1'],
      [100, 'CONNECTED ""'],
      [700, 'DISCONNECTED CloseError'],
      [700, 'CONNECTING 0'],
      [700, 'CONNECTED ""'],
      [800, 'DISCONNECTED'],
    ]);
  });

  it('keep-alive: heartbeat after pingInterval of silence, dead after pongTimeout with no frame', () => {
    let heartbeats: number[] = [];
    let error: unknown;
    const seen = scenario(
      { pingInterval: 1000, pongTimeout: 300, heartbeat: 'hb', format: 'text' },
      ({ server, machine, scheduler }) => {
        const first$ = server.connection$.pipe(take(1));
        first$.pipe(mergeMap((c) => c.received$)).subscribe((f) => f.data === 'hb' && heartbeats.push(scheduler.now()));
        // The server talks at 400 ms, then goes silent and never answers a heartbeat.
        first$.subscribe((c) => server.scheduler.schedule(() => c.send('news'), 400));
        machine.state$.subscribe((s) => s.error && (error = s.error));
      },
      1800,
    );
    // Silence measured from the last frame (400): heartbeat at 1400, dead at 1700, not 2000.
    expect(heartbeats).to.deep.equal([1400]);
    expect(seen.slice(1, 4)).to.deep.equal([
      [0, 'CONNECTED ""'],
      [1700, 'DISCONNECTED PongTimeoutError'],
      [1700, 'CONNECTING 1'],
    ]);
    expect(error).to.be.instanceOf(PongTimeoutError);
    heartbeats = [];
  });

  it('keep-alive: an answered heartbeat keeps a quiet connection up', () => {
    const seen = scenario(
      { pingInterval: 100, pongTimeout: 50, heartbeat: 'ping?' },
      ({ server }) => {
        framesOf$(server).subscribe(({ connection }) => connection.send('pong!'));
      },
      1000,
    );
    expect(seen).to.deep.equal([
      [0, 'CONNECTING 0'],
      [0, 'CONNECTED ""'],
      [1000, 'DISCONNECTED'],
    ]);
  });

  it('keep-alive is off without a heartbeat on a WebSocket that cannot ping, and with pingInterval 0', () => {
    for (const options of [{ pingInterval: 100 }, { pingInterval: 0, heartbeat: 'hb' }]) {
      const seen = scenario({ ...options, pongTimeout: 10 }, nothing, 1000);
      expect(seen.map((s) => s[1])).to.deep.equal(['CONNECTING 0', 'CONNECTED ""', 'DISCONNECTED']);
    }
  });

  it('Command.PING sends the heartbeat now', () => {
    const frames: [number, string][] = [];
    scenario(
      { heartbeat: 'hb', format: 'text' },
      ({ server, machine, at, scheduler }) => {
        framesOf$(server).subscribe(({ frame }) => frames.push([scheduler.now(), String(frame.data)]));
        at(25, () => machine.command.next(Command.PING));
      },
      100,
    );
    expect(frames).to.deep.equal([[25, 'hb']]);
  });

  it('queues while not connected and flushes in order on connect, before anything sent later', () => {
    const frames: string[] = [];
    scenario(
      { format: 'text' },
      ({ server, machine, at }) => {
        server.answer = 'refuse';
        framesOf$(server).subscribe(({ frame }) => frames.push(String(frame.data)));
        machine.output.next('q1');
        machine.output.next('q2');
        at(50, () => (server.answer = 'accept'));
        machine.state$.subscribe((s) => s.state === State.CONNECTED && machine.output.next('after'));
      },
      200,
    );
    expect(frames).to.deep.equal(['q1', 'q2', 'after']);
  });

  it('USE_TEXT applies to messages queued before it', () => {
    const frames: string[] = [];
    scenario(
      {},
      ({ server, machine, at }) => {
        server.answer = 'manual';
        framesOf$(server).subscribe(({ frame: f }) => frames.push(`${f.type}:${typeof f.data === 'string' ? f.data : f.data.length}`));
        machine.output.next('one');
        machine.command.next(Command.USE_TEXT);
        machine.output.next('two');
        at(10, () => server.lastConnection.accept());
        at(20, () => machine.command.next(Command.USE_BINARY));
        at(30, () => machine.output.next('three'));
      },
      100,
    );
    expect(frames).to.deep.equal(['text:one', 'text:two', 'binary:5']);
  });

  it('a command given inside a state$ callback applies to what that callback sends next', () => {
    const frames: string[] = [];
    const dropped: unknown[] = [];
    scenario(
      {},
      ({ server, machine }) => {
        framesOf$(server).subscribe(({ frame: f }) => frames.push(`${f.type}:${typeof f.data === 'string' ? f.data : f.data.length}`));
        machine.dropped$.subscribe((m) => dropped.push(m));
        machine.state$.subscribe((s) => {
          if (s.state !== State.CONNECTED) return;
          machine.command.next(Command.USE_TEXT);
          machine.output.next('as-text');
          machine.command.next(Command.QUIT);
          machine.output.next('after-quit'); // ignored
        });
      },
      100,
    );
    expect(frames).to.deep.equal(['text:as-text']);
    expect(dropped).to.deep.equal([]);
  });

  it('RECONNECT: in WAITING tries at once; in CONNECTED drops with a ReconnectError and reconnects', () => {
    const seen = scenario(
      { retryDelay: 1000 },
      ({ server, machine, at }) => {
        server.answer = 'refuse';
        at(10, () => {
          server.answer = 'accept';
          machine.command.next(Command.RECONNECT);
        });
        at(20, () => machine.command.next(Command.RECONNECT));
      },
      100,
    );
    expect(seen).to.deep.equal([
      [0, 'CONNECTING 0'],
      [0, 'DISCONNECTED ConnectError'],
      [0, 'WAITING 1 1000'],
      [10, 'CONNECTING 1'],
      [10, 'CONNECTED ""'],
      [20, 'DISCONNECTED ReconnectError'],
      [20, 'CONNECTING 1'],
      [20, 'CONNECTED ""'],
      [100, 'DISCONNECTED'],
    ]);
  });

  it('online$: offline at start rests in WAITING without a delay; online attempts at once; offline cuts a wait', () => {
    const online = new BehaviorSubject(false);
    const seen = scenario(
      { online$: online, retryDelay: 1000 },
      ({ server, at }) => {
        at(100, () => online.next(true));
        at(200, () => {
          server.answer = 'refuse';
          server.dropAll();
        });
        at(300, () => online.next(false));
        at(400, () => {
          server.answer = 'accept';
          online.next(true);
        });
      },
      500,
    );
    expect(seen).to.deep.equal([
      [0, 'WAITING 0'],
      [100, 'CONNECTING 0'],
      [100, 'CONNECTED ""'],
      [200, 'DISCONNECTED CloseError'],
      [200, 'CONNECTING 1'],
      [200, 'DISCONNECTED ConnectError'],
      [200, 'WAITING 2 1000'],
      [300, 'WAITING 2'],
      [400, 'CONNECTING 2'],
      [400, 'CONNECTED ""'],
      [500, 'DISCONNECTED'],
    ]);
  });

  it('handshake: CONNECTING until it succeeds; the queue flushes after the handshake messages', () => {
    const frames: [number, string][] = [];
    const seen = scenario(
      {
        format: 'text',
        handshake: (link) => {
          link.send('auth');
          return link.input$.pipe(take(1));
        },
      },
      ({ server, machine, scheduler }) => {
        machine.output.next('queued');
        framesOf$(server).subscribe(({ connection, frame: f }) => {
          frames.push([scheduler.now(), String(f.data)]);
          if (f.data === 'auth') server.scheduler.schedule(() => connection.send('ok'), 40);
        });
      },
      100,
    );
    expect(seen).to.deep.equal([
      [0, 'CONNECTING 0'],
      [40, 'CONNECTED ""'],
      [100, 'DISCONNECTED'],
    ]);
    expect(frames).to.deep.equal([
      [0, 'auth'],
      [40, 'queued'],
    ]);
  });

  it('handshake: a rejection and a handshake that never ends are failed attempts', () => {
    let error: Error | undefined;
    const seen = scenario(
      { connectTimeout: 200, handshake: () => throwError(() => new Error('denied')) },
      ({ machine }) => {
        machine.state$.subscribe((s) => (error ??= s.error));
      },
      50,
    );
    expect(seen).to.deep.equal([
      [0, 'CONNECTING 0'],
      [0, 'DISCONNECTED HandshakeError'],
      [0, 'WAITING 1 100'],
      [50, 'DISCONNECTED'],
    ]);
    expect(error).to.be.instanceOf(HandshakeError);
    expect((error as Error).cause).to.have.property('message', 'denied');
    const never = scenario({ connectTimeout: 200, handshake: () => new Subject<never>() }, nothing, 250);
    expect(never).to.deep.equal([
      [0, 'CONNECTING 0'],
      [200, 'DISCONNECTED ConnectTimeoutError'],
      [200, 'WAITING 1 100'],
      [250, 'DISCONNECTED'],
    ]);
  });

  it('a URL provider is called before every attempt; machine.url shows the latest; a throw fails that attempt only', () => {
    const urls: string[] = [];
    let calls = 0;
    const scheduler = new TestScheduler((a, b) => {
      expect(a).to.deep.equal(b);
    });
    const seen: [number, string][] = [];
    scheduler.run(() => {
      const server = new FakeServer({ scheduler });
      server.connection$.subscribe((c) => {
        urls.push(c.url);
        scheduler.schedule(() => c.drop(), 10);
      });
      const machine = new Machine(
        () => {
          calls++;
          if (calls === 2) throw new Error('token service down');
          return `ws://test/?token=t${calls}`;
        },
        { WebSocket: server.WebSocket, scheduler, retryDelay: 100, minUptime: 1000 },
      );
      machine.state$.subscribe((s) => seen.push([scheduler.now(), label(s)]));
      scheduler.schedule(() => {
        expect(machine.url).to.equal('ws://test/?token=t3');
        machine.command.next(Command.QUIT);
      }, 150);
    });
    expect(urls).to.deep.equal(['ws://test/?token=t1', 'ws://test/?token=t3']);
    expect(seen).to.deep.equal([
      [0, 'CONNECTING 0'],
      [0, 'CONNECTED ""'],
      [10, 'DISCONNECTED CloseError'],
      [10, 'CONNECTING 1'],
      [10, 'DISCONNECTED ConnectError'], // the provider threw: a failed attempt, not a crash
      [10, 'WAITING 2 100'],
      [110, 'CONNECTING 2'],
      [110, 'CONNECTED ""'],
      [120, 'DISCONNECTED CloseError'],
      [120, 'WAITING 3 100'],
      [150, 'DISCONNECTED'],
    ]);
  });

  it('shouldReconnect false stops the machine: the error stays on the last status and state$ completes', () => {
    const asked: string[] = [];
    const scheduler = new TestScheduler((a, b) => {
      expect(a).to.deep.equal(b);
    });
    scheduler.run(({ expectObservable }) => {
      const server = new FakeServer({ scheduler });
      server.connection$.subscribe((c) => scheduler.schedule(() => c.close(4001, 'token expired'), 20));
      const machine = new Machine('ws://test/', {
        WebSocket: server.WebSocket,
        scheduler,
        shouldReconnect: (e) => {
          const code = e instanceof CloseError ? e.code : undefined;
          asked.push(`${e.name} ${String(code)}`);
          return code !== 4001;
        },
      });
      expectObservable(machine.state$.pipe(map(label))).toBe('(ab) 16ms (c|)', {
        a: 'CONNECTING 0',
        b: 'CONNECTED ""',
        c: 'DISCONNECTED CloseError',
      });
      expectObservable(machine.input$).toBe('20ms |');
    });
    expect(asked).to.deep.equal(['CloseError 4001']);
  });

  it('a WebSocket that ignores binaryType (Blobs) is refused loudly, not read as empty bytes', () => {
    let error: Error | undefined;
    const scheduler = new TestScheduler(() => undefined);
    scheduler.run(() => {
      const server = new FakeServer({ scheduler });
      class Stubborn extends server.WebSocket {
        override set binaryType(_: 'blob' | 'arraybuffer') {
          // Ignored: this socket keeps delivering Blobs.
        }
        override get binaryType(): 'blob' | 'arraybuffer' {
          return 'blob';
        }
      }
      server.connection$.subscribe((c) => c.send(new Uint8Array([1, 2, 3])));
      const machine = new Machine('ws://test/', { WebSocket: Stubborn, scheduler, maxAttempts: 1 });
      machine.state$.subscribe((s) => (error ??= s.error));
    });
    expect(error).to.be.instanceOf(CloseError).and.include({ code: 1003 });
    expect(error?.message).to.match(/binaryType 'arraybuffer'/);
  });

  it('maxMessageSize on the standard API: a bigger message drops the connection (CloseError 1009), the page closes with 1000', () => {
    let error: Error | undefined;
    const got: unknown[] = [];
    let closedWith: number | undefined;
    const scheduler = new TestScheduler(() => undefined);
    scheduler.run(() => {
      const server = new FakeServer({ scheduler });
      server.connection$.subscribe((c) => {
        c.send(new Uint8Array(4));
        c.send(new Uint8Array(5));
        scheduler.schedule(() => (closedWith = c.closed?.code), 10);
      });
      const machine = new Machine('ws://test/', { WebSocket: server.WebSocket, scheduler, maxAttempts: 1, maxMessageSize: 4 });
      machine.input$.subscribe((m) => got.push((m as Uint8Array).length));
      machine.state$.subscribe((s) => (error ??= s.error));
    });
    expect(got).to.deep.equal([4]);
    expect(error).to.be.instanceOf(CloseError).and.include({ code: 1009 });
    expect(closedWith).to.equal(1000);
  });

  it('maxQueue with drop-oldest and drop-newest: dropped$ carries exactly what was given up', () => {
    for (const [overflow, expected] of [
      ['drop-oldest', ['a', 'b']],
      ['drop-newest', ['d', 'e']],
    ] as const) {
      const dropped: unknown[] = [];
      scenario(
        { maxQueue: 3, overflow, online$: new BehaviorSubject(false) },
        ({ machine }) => {
          machine.dropped$.subscribe((m) => dropped.push(m));
          for (const m of ['a', 'b', 'c', 'd', 'e']) machine.output.next(m);
          expect(dropped).to.deep.equal(expected);
        },
        10,
      );
      // What was still queued at QUIT is given up too, never silently.
      expect(dropped).to.have.length(5);
    }
  });

  it('bad input is a synchronous TypeError; the machine and its queue go on', () => {
    const frames: string[] = [];
    scenario(
      { format: 'text', online$: new BehaviorSubject(false) },
      ({ machine, server, at }) => {
        machine.output.next('kept');
        expect(() => machine.output.next(42 as never)).to.throw(TypeError, /output accepts/);
        expect(() => machine.command.next('NOPE' as never)).to.throw(TypeError, /command must be one of/);
        framesOf$(server).subscribe(({ frame }) => frames.push(String(frame.data)));
        at(10, () => machine.command.next(Command.RECONNECT)); // offline: does nothing
      },
      20,
    );
    expect(frames).to.deep.equal([]);
  });

  it('at construction the URL is checked first, then the options; nothing is opened when either is wrong', () => {
    const opened: string[] = [];
    const WebSocket = function (url: string) {
      opened.push(url);
    } as unknown as MachineOptions['WebSocket'];
    expect(() => new Machine('ftp://127.0.0.1/', { pingIntervall: 5, WebSocket } as MachineOptions)).to.throw(SyntaxError, /scheme "ftp:"/);
    expect(() => new Machine('ws://127.0.0.1/', { pingIntervall: 5, WebSocket } as MachineOptions)).to.throw(
      TypeError,
      /unknown option "pingIntervall"; did you mean "pingInterval"\?/,
    );
    expect(opened).to.deep.equal([]);
  });

  it('command.complete() and command.error() stop like QUIT; later calls are ignored', () => {
    for (const end of ['complete', 'error'] as const) {
      const scheduler = new TestScheduler((a, b) => {
        expect(a).to.deep.equal(b);
      });
      scheduler.run(({ expectObservable }) => {
        const server = new FakeServer({ scheduler });
        const machine = new Machine('ws://test/', { WebSocket: server.WebSocket, scheduler });
        scheduler.schedule(() => {
          if (end === 'complete') machine.command.complete();
          else machine.command.error(new Error('x'));
          machine.command.next(Command.RECONNECT);
          machine.output.next('ignored');
        }, 5);
        expectObservable(machine.state$.pipe(map(label))).toBe('(ab) 1ms (c|)', {
          a: 'CONNECTING 0',
          b: 'CONNECTED ""',
          c: 'DISCONNECTED',
        });
        expectObservable(machine.input$).toBe('----- |');
      });
    }
  });
});
