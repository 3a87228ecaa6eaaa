/**
 * Shared tools for the integration specs: real `ws` servers (and raw TCP servers) on 127.0.0.1,
 * port 0, a recorder of `state$`, condition waits, and per-test cleanup that also checks that
 * nothing (socket, server, timer) outlives a test.
 */
import type { IncomingMessage } from 'node:http';
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { expect } from 'chai';
import { filter, firstValueFrom, timeout, type Subscription } from 'rxjs';
import { WebSocketServer, type ServerOptions, type WebSocket as ServerSocket } from 'ws';
import { Command, Machine, type MachineOptions, type Message, type State, type Status, type UrlProvider } from '../../lib/index.js';

// ---------------------------------------------------------------------------------------------
// Waiting

/**
 * How long a wait for something that should happen soon may take before the test fails. Generous:
 * a passing test never waits this long, and a loaded 2-core machine can stall a process for a
 * second. Exact deadlines are pinned in virtual time (spec/machine.spec.ts), not here.
 */
export const WAIT = 5000;

/**
 * How late a real-socket timer may fire on a loaded machine and still count as on time. A deadline
 * measured on real sockets is checked against a lower bound (it did not fire early) and this upper
 * bound (it did fire, about when due), never a narrow window.
 */
export const LATE = 1000;

/**
 * How early a real timer may seem to fire, measured with `Date.now()`: Node sets a timer against
 * the event loop's clock, read when the loop turn began, so a turn that ran long (a loaded machine)
 * starts the timer that much in the past. A quarter of the deadline, at most 50 ms.
 */
export function early(due: number): number {
  return Math.min(50, due / 4);
}

/** Asserts that `took` ms is about `due`: no more than `early(due)` less, no more than `LATE` more. */
export function expectDue(took: number, due: number, what = 'elapsed ms'): void {
  expect(took, what).to.be.at.least(due - early(due));
  expect(took, what).to.be.at.most(due + LATE);
}

/** Resolves once `condition()` is true; polls every few ms; rejects after `ms` naming `what`. */
export async function until(condition: () => boolean, ms = WAIT, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 3));
  }
}

/** Only for proving that something does NOT happen within a short window. */
export function pause(ms: number): Promise<void> {
  if (ms > 100) throw new Error('pause() is for short negative checks only');
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The first status (the current one included, as state$ replays it) in `state` matching `match`. */
export function nextState(machine: Machine, state: State, ms = WAIT, match: (s: Status) => boolean = () => true): Promise<Status> {
  return firstValueFrom(
    machine.state$.pipe(
      filter((s) => s.state === state && match(s)),
      timeout({ first: ms, with: () => Promise.reject(new Error(`no ${state} status within ${ms} ms`)) }),
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// Recording a machine

/** A status in one readable line: `CONNECTING a=0`, `WAITING a=1 d=20`, `CONNECTED p=""`, `DISCONNECTED CloseError`. */
export function show(s: Status): string {
  let line: string = s.state;
  if ('attempt' in s) line += ` a=${String(s.attempt)}`;
  if ('delay' in s) line += ` d=${String(s.delay)}`;
  if ('protocol' in s) line += ` p=${JSON.stringify(s.protocol)}`;
  if ('error' in s) line += ` ${s.error?.name ?? String(s.error)}`;
  return line;
}

export interface Recorder {
  readonly machine: Machine;
  /** Every status, with the time it arrived (Date.now()). */
  readonly statuses: Status[];
  readonly times: number[];
  readonly input: Message[];
  /** When each message arrived (Date.now()). */
  readonly inputTimes: number[];
  readonly dropped: Message[];
  stateDone: boolean;
  inputDone: boolean;
  droppedDone: boolean;
  /** The statuses as lines (see `show`). */
  lines(): string[];
  /** Waits until `count` statuses have arrived. */
  count(count: number, ms?: number): Promise<void>;
  /** Waits for the `nth` (1-based) status in `state` since construction; returns its index. */
  nth(state: State, nth: number, ms?: number): Promise<number>;
  /** Waits for a status in `state` after index `after`; returns its index. */
  after(after: number, state: State, ms?: number): Promise<number>;
  /** Waits until `state$` completed. */
  done(ms?: number): Promise<void>;
  /** Waits until `input$` has emitted `count` messages. */
  received(count: number, ms?: number): Promise<void>;
}

const machines: Machine[] = [];
const subscriptions: Subscription[] = [];

/** Constructs a machine (closed with QUIT after the test) and records all it emits. */
export function start(url: string | URL | UrlProvider, options?: MachineOptions): Recorder {
  const machine = new Machine(url, options);
  machines.push(machine);
  return record(machine);
}

export function record(machine: Machine): Recorder {
  const rec: Recorder = {
    machine,
    statuses: [],
    times: [],
    input: [],
    inputTimes: [],
    dropped: [],
    stateDone: false,
    inputDone: false,
    droppedDone: false,
    lines: () => rec.statuses.map(show),
    count: (count, ms = WAIT) => until(() => rec.statuses.length >= count, ms, `${count} statuses (have: ${rec.lines().join(' → ')})`),
    nth: async (state, nth, ms = WAIT) => {
      const index = (): number => {
        let seen = 0;
        return rec.statuses.findIndex((s) => s.state === state && ++seen === nth);
      };
      await until(() => index() >= 0, ms, `${state} #${nth} (have: ${rec.lines().join(' → ')})`);
      return index();
    },
    after: async (after, state, ms = WAIT) => {
      const index = (): number => rec.statuses.findIndex((s, i) => i > after && s.state === state);
      await until(() => index() >= 0, ms, `${state} after #${after} (have: ${rec.lines().join(' → ')})`);
      return index();
    },
    done: (ms = WAIT) => until(() => rec.stateDone, ms, `state$ to complete (have: ${rec.lines().join(' → ')})`),
    received: (count, ms = WAIT) => until(() => rec.input.length >= count, ms, `${count} messages on input$ (have ${rec.input.length})`),
  };
  subscriptions.push(
    machine.state$.subscribe({
      next: (s) => {
        rec.statuses.push(s);
        rec.times.push(Date.now());
      },
      error: (e: unknown) => {
        throw new Error(`state$ errored: ${String(e)}`);
      },
      complete: () => (rec.stateDone = true),
    }),
    machine.input$.subscribe({
      next: (m) => {
        rec.input.push(m);
        rec.inputTimes.push(Date.now());
      },
      error: (e: unknown) => {
        throw new Error(`input$ errored: ${String(e)}`);
      },
      complete: () => (rec.inputDone = true),
    }),
    machine.dropped$.subscribe({ next: (m) => rec.dropped.push(m), complete: () => (rec.droppedDone = true) }),
  );
  return rec;
}

// ---------------------------------------------------------------------------------------------
// Servers

/** One frame a server received. */
export interface Frame {
  readonly binary: boolean;
  readonly data: Buffer;
}

/** `b:text` for a binary frame, `t:text` for a text frame. */
export function frameLine(f: Frame): string {
  return `${f.binary ? 'b' : 't'}:${f.data.toString()}`;
}

/** What a server saw of one connection. */
export interface Peer {
  readonly socket: ServerSocket;
  readonly req: IncomingMessage;
  readonly frames: Frame[];
  pings: number;
  /** Set when the connection closed: the close code the server saw (1005 none, 1006 abnormal). */
  closed: { code: number; reason: string } | undefined;
}

export interface TestServer {
  readonly wss: WebSocketServer;
  readonly port: number;
  readonly url: string;
  readonly peers: Peer[];
  /** Resolves once `n` connections have been accepted. */
  peer(n: number, ms?: number): Promise<Peer>;
  close(): Promise<void>;
}

export type OnConnection = (peer: Peer, index: number) => void;

const closers: (() => Promise<void>)[] = [];

/** Registers `close` to run after the test, once its machines have had QUIT (e.g. another server). */
export function onCleanup(close: () => Promise<void>): void {
  closers.push(close);
}

/** Adds no behaviour: the server only accepts and records what arrives (the default of wsServer). */
export const recordOnly: OnConnection = () => {
  // Nothing to add: wsServer already records frames, pings and the close.
};

/** A `ws` server on 127.0.0.1; `onConnection` adds behaviour (echo, close, …) to each connection. */
export async function wsServer(onConnection: OnConnection = recordOnly, options: ServerOptions = {}): Promise<TestServer> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: options.port ?? 0, ...options });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  const port = (wss.address() as { port: number }).port;
  const peers: Peer[] = [];
  wss.on('connection', (socket, req) => {
    const peer: Peer = { socket, req, frames: [], pings: 0, closed: undefined };
    peers.push(peer);
    socket.on('message', (data: Buffer, binary: boolean) => peer.frames.push({ binary, data }));
    socket.on('ping', () => peer.pings++);
    socket.on('close', (code, reason) => (peer.closed = { code, reason: reason.toString() }));
    socket.on('error', () => {
      // Ignored: a listener keeps the error from being thrown; 'close' follows and is recorded.
    });
    onConnection(peer, peers.length - 1);
  });
  let closed: Promise<void> | undefined;
  const server: TestServer = {
    wss,
    port,
    url: `ws://127.0.0.1:${port}/`,
    peers,
    peer: async (n, ms = WAIT) => {
      await until(() => peers.length >= n, ms, `connection #${n} to the server`);
      return peers[n - 1] as Peer;
    },
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      })),
  };
  closers.push(() => server.close());
  return server;
}

/** Echoes every frame back with its type; `/CLOSE` makes the server drop the connection (as in the Go tests). */
export const echo: OnConnection = ({ socket }) => {
  socket.on('message', (data: Buffer, binary: boolean) => {
    if (data.toString() === '/CLOSE') socket.terminate();
    else socket.send(data, { binary });
  });
};

export interface RawServer {
  readonly port: number;
  readonly url: string;
  /** Every TCP connection accepted, open or not. */
  readonly sockets: Socket[];
  /** How many accepted sockets have closed. */
  closedCount(): number;
  close(): Promise<void>;
}

/** A TCP server that accepts connections and never says a word: an upgrade that is never answered. */
export async function silentServer(): Promise<RawServer> {
  const sockets: Socket[] = [];
  let closedCount = 0;
  const server: NetServer = createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => {
      // Ignored: a listener keeps a reset from being thrown; 'close' follows and is counted.
    });
    socket.on('close', () => closedCount++);
    socket.resume(); // read and ignore the upgrade request
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  let closed: Promise<void> | undefined;
  const raw: RawServer = {
    port,
    url: `ws://127.0.0.1:${port}/`,
    sockets,
    closedCount: () => closedCount,
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      })),
  };
  closers.push(() => raw.close());
  return raw;
}

/** A URL on 127.0.0.1 where nothing listens: connections are refused. */
export async function refusedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await new Promise((resolve) => setImmediate(resolve)); // let the handle go before a baseline is taken
  return `ws://127.0.0.1:${port}/`;
}

// ---------------------------------------------------------------------------------------------
// Resources and cleanup

/**
 * The active resources of the process that a machine or a server could hold (sockets, servers,
 * timers, requests), sorted, for comparison with a baseline. File system requests and stdio pipes
 * come and go with the test runner and are left out; so does `CloseReq`, a file handle's close in
 * flight (a fresh clone's first test once took its baseline while twenty of the runner's were).
 */
export function resources(): string[] {
  return process
    .getActiveResourcesInfo()
    .filter((r) => !/^(FS|PipeWrap|TTYWrap|FileHandle|CloseReq|StatWatcher|Signal)/.test(r))
    .sort();
}

/** Waits until the process holds exactly the resources of `baseline` again. */
export async function settles(baseline: string[], ms = WAIT): Promise<void> {
  try {
    await until(() => JSON.stringify(resources()) === JSON.stringify(baseline), ms, 'active resources to return to the baseline');
  } catch {
    expect(resources(), 'active resources after the test').to.deep.equal(baseline);
  }
}

/**
 * Registers the per-test cleanup for the enclosing `describe`: every machine gets QUIT (ignored
 * when it already stopped), every server closes, and then the process must hold exactly the
 * resources it held before the test.
 */
export function useCleanup(): void {
  let baseline: string[] = [];
  beforeEach(async () => {
    // After the first await, so that mocha's timer for this (async) hook is counted, as it is in afterEach.
    await Promise.resolve();
    baseline = resources();
  });
  afterEach(async function () {
    for (const machine of machines.splice(0)) machine.command.next(Command.QUIT);
    for (const subscription of subscriptions.splice(0)) subscription.unsubscribe();
    await Promise.all(closers.splice(0).map((close) => close()));
    // A failed test may leave things mid-flight; only a passing one must leave nothing behind.
    if (this.currentTest?.state === 'passed') await settles(baseline);
  });
}

/** The bytes of a message as a plain array (for deep-equal). */
export function bytes(m: Message | Buffer | undefined): number[] {
  if (m === undefined) return [];
  return typeof m === 'string' ? [...Buffer.from(m)] : [...m];
}

/** A deferred promise, resolved or rejected from outside. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
