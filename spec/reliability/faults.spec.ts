// Faults injected between a real machine and a real `ws` server by the TCP proxy (proxy.ts).
import { expect } from 'chai';
import type { WebSocket } from 'ws';
import { Command, ConnectError, ConnectTimeoutError, Machine, PongTimeoutError, State, type Status } from '../../lib/index.js';
import { pick, prng, record, serve, tick, until, type Served } from './helpers.js';
import { FaultProxy } from './proxy.js';

/**
 * Lateness allowed past a keep-alive deadline on real sockets: generous, for a loaded 2-core box
 * (the exact deadline is pinned in virtual time in spec/machine.spec.ts); the lower bound is exact.
 */
const TICK_MS = 1000;
const report = (line: string): void => {
  if (process.env.WS_MACHINE_REPORT) console.log(`      [reliability] ${line}`);
};

describe('reliability: faults injected by a TCP proxy', function () {
  this.timeout(10_000);
  let server: Served | undefined;
  let proxy: FaultProxy | undefined;
  const machines: Machine[] = [];

  afterEach(async () => {
    for (const machine of machines.splice(0)) machine.command.next(Command.QUIT);
    await proxy?.close();
    await server?.close();
    proxy = undefined;
    server = undefined;
  });

  async function setUp(onConnection?: (ws: WebSocket, path: string) => void): Promise<{ server: Served; proxy: FaultProxy }> {
    server = await serve(onConnection ? { onConnection } : {});
    proxy = new FaultProxy(server.port);
    await proxy.listen();
    return { server, proxy };
  }

  it('detects a half-open (blackholed) connection within pingInterval + pongTimeout of the last frame', async function () {
    this.timeout(8000);
    const { proxy } = await setUp();
    const pingInterval = 200;
    const pongTimeout = 200;
    const machine = new Machine(`ws://127.0.0.1:${proxy.port}/half-open`, { pingInterval, pongTimeout, minUptime: 0, retryDelay: 10 });
    machines.push(machine);
    const log = record(machine.state$);
    const random = prng(7);
    const elapsed: number[] = [];
    for (let round = 0; round < 3; round++) {
      await until(() => log.last()?.state === State.CONNECTED, 5000, 'CONNECTED');
      const [link] = proxy.linksTo('/half-open');
      expect(link, 'the proxied link').to.not.equal(undefined);
      if (link === undefined) return;
      // Cut the path at a random point of the keep-alive cycle (before, between or after pings).
      await tick(20 + Math.floor(random() * 450));
      proxy.blackhole(link);
      const from = log.all.length;
      await until(() => log.all.slice(from).some((s) => s.state === State.DISCONNECTED), 5000, 'DISCONNECTED');
      const i = log.all.findIndex((s, j) => j >= from && s.state === State.DISCONNECTED);
      expect(log.all[i]?.error).to.be.instanceOf(PongTimeoutError);
      // The last frame the client got is the last one the proxy wrote to it (it arrives a little later).
      const took = (log.times[i] ?? 0) - link.lastDownAt;
      elapsed.push(Math.round(took));
      // Less up to 50 ms: Node sets timers against the loop's clock, which lags on a loaded machine.
      expect(took).to.be.at.least(pingInterval + pongTimeout - 50);
      expect(took).to.be.at.most(pingInterval + pongTimeout + TICK_MS);
      expect(log.all[i + 1]?.state, 'reconnects at once (the connection was stable)').to.equal(State.CONNECTING);
    }
    report(`half-open detected after ${elapsed.join(', ')} ms from the last frame (limit ${pingInterval + pongTimeout} + ${TICK_MS})`);
  });

  it('loses no queued message, duplicates none and keeps order across 100 random faults, then stays CONNECTED', async function () {
    this.timeout(45_000);
    const seed = Number(process.env.FAULT_SEED ?? 20260601);
    const random = prng(seed);
    const delays = prng(seed + 1);
    // What the server got: each message's number, and which server-side connection it came on.
    const received: number[] = [];
    const perConnection: number[][] = [];
    const pendingQueued = new Set<number>();
    const { server, proxy } = await setUp((ws) => {
      const mine: number[] = [];
      perConnection.push(mine);
      ws.on('message', (data: Buffer) => {
        const n = Number(String(data));
        received.push(n);
        mine.push(n);
        pendingQueued.delete(n);
      });
    });
    const path = '/faults';
    const machine = new Machine(`ws://127.0.0.1:${proxy.port}${path}`, {
      connectTimeout: 150,
      retryDelay: () => 2 + Math.floor(delays() * 15),
      minUptime: 30,
      pingInterval: 60,
      pongTimeout: 60,
      format: 'text',
    });
    machines.push(machine);
    let connected = false;
    const statuses: Status[] = [];
    let dropped = 0;
    machine.dropped$.subscribe(() => dropped++);
    const queued: number[] = [];
    const live: number[] = [];
    let seq = 0;
    const send = (): void => {
      const n = ++seq;
      // The contract's promise covers messages given while not CONNECTED: they are queued and
      // delivered. One handed to an open socket that then dies may be lost in flight.
      if (connected) live.push(n);
      else {
        queued.push(n);
        pendingQueued.add(n);
      }
      machine.output.next(String(n));
    };
    machine.state$.subscribe((s) => {
      statuses.push(s);
      connected = s.state === State.CONNECTED;
      // Messages right at the edges of every state, not only on the ticker's beat.
      if (!connected) for (let k = Math.floor(random() * 3); k > 0; k--) send();
    });
    const ticker = setInterval(send, 4);
    // Polling `connected` could miss a reconnect that takes under a millisecond: read the log.
    const droppedSince = (from: number): boolean => statuses.slice(from).some((s) => s.state === State.DISCONNECTED);
    const failedSince = (from: number, kind: new (...args: never[]) => Error): boolean =>
      statuses.slice(from).some((s) => s.state === State.DISCONNECTED && s.error instanceof kind);

    const FAULTS = ['reset', 'blackhole', 'cut-up', 'cut-down', 'latency', 'hang', 'trickle', 'refuse', 'server-close'] as const;
    const injected: Record<string, number> = {};
    try {
      // A fault is only ever injected once the queue is delivered: a queued message flushed onto a
      // socket that dies at once would be a message in flight, which nothing can promise.
      await until(() => connected && pendingQueued.size === 0, 5000, 'first CONNECTED');
      for (let i = 0; i < 100; i++) {
        const fault = pick(random, FAULTS);
        injected[fault] = (injected[fault] ?? 0) + 1;
        const link = proxy.linksTo(path).pop(); // the newest: an old one may still deliver late chunks
        if (link === undefined) throw new Error(`no open link before fault #${i}`);
        const from = statuses.length;
        const what = `fault #${i} (${fault})`;
        switch (fault) {
          case 'reset':
            proxy.reset(link);
            await until(() => droppedSince(from), 2000, what);
            break;
          case 'blackhole':
            proxy.blackhole(link);
            await until(() => droppedSince(from), 2000, what);
            break;
          case 'cut-up':
            proxy.cutNext(link, 'up');
            send(); // a frame on its way out, to be cut
            await until(() => droppedSince(from), 2000, what);
            break;
          case 'cut-down':
            proxy.cutNext(link, 'down');
            for (const ws of server.clients) ws.send('x'.repeat(64)); // a frame on its way in, to be cut
            await until(() => droppedSince(from), 2000, what);
            break;
          case 'latency':
            proxy.latency = 2 + Math.floor(random() * 20);
            await tick(30 + Math.floor(random() * 80));
            proxy.latency = 0;
            break;
          case 'hang':
          case 'trickle':
            proxy.accept = fault;
            proxy.trickleMs = 10;
            proxy.reset(link);
            await until(() => failedSince(from, ConnectTimeoutError), 3000, what);
            proxy.accept = 'forward';
            break;
          case 'refuse':
            proxy.accept = 'reset';
            proxy.reset(link);
            await until(() => failedSince(from, ConnectError), 3000, what);
            proxy.accept = 'forward';
            break;
          case 'server-close':
            for (const ws of server.clients) {
              if (random() < 0.5) ws.close(1001, 'going away');
              else ws.terminate();
            }
            await until(() => droppedSince(from), 2000, what);
            break;
        }
        // The fault is over: back to CONNECTED with the queue delivered before the next one.
        await until(() => connected && pendingQueued.size === 0, 5000, `recovery after ${what}`);
      }
      // Faults have stopped: the machine must stay up and deliver what it is given.
      const from = statuses.length;
      await tick(300);
      expect(statuses.slice(from), 'statuses once faults stopped').to.deep.equal([]);
      expect(statuses[statuses.length - 1]?.state).to.equal(State.CONNECTED);
    } finally {
      clearInterval(ticker);
    }
    const lastSent = seq;
    await until(() => received.includes(lastSent), 5000, 'the last message, sent on a healthy connection');

    const got = new Set(received);
    const lost = queued.filter((n) => !got.has(n));
    const duplicated = received.length - got.size;
    const increasing = (list: number[]): number => list.filter((n, i) => i > 0 && n <= (list[i - 1] ?? 0)).length;
    const outOfOrder = perConnection.reduce((sum, list) => sum + increasing(list), 0);
    const queuedSet = new Set(queued);
    const queuedOutOfOrder = increasing(received.filter((n) => queuedSet.has(n)));
    // A live message delayed on a dying connection can reach the server after the next
    // connection's first messages: reported, not a fault of the machine.
    const lateAcrossConnections = increasing(received);
    const lostInFlight = live.filter((n) => !got.has(n)).length;
    const reconnects = statuses.filter((s) => s.state === State.CONNECTED).length - 1;
    report(
      `seed ${seed}: ${Object.values(injected).reduce((a, b) => a + b, 0)} faults ${JSON.stringify(injected)}, ` +
        `${reconnects} reconnects, ${seq} messages (${queued.length} queued, ${live.length} sent live), ` +
        `${received.length} received; lost queued ${lost.length}, duplicated ${duplicated}, out of order ${outOfOrder + queuedOutOfOrder}, ` +
        `lost in flight ${lostInFlight}, late across connections ${lateAcrossConnections}, dropped ${dropped}`,
    );
    expect(lost, 'queued messages lost').to.deep.equal([]);
    expect(duplicated, 'duplicates').to.equal(0);
    expect(outOfOrder, 'messages out of order on one connection').to.equal(0);
    expect(queuedOutOfOrder, 'queued messages out of order').to.equal(0);
    expect(dropped, 'dropped (the queue never filled)').to.equal(0);
    expect(queued.length, 'queued messages checked').to.be.greaterThan(500);
  });
});
