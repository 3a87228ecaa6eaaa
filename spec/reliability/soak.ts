// The soak: many machines against `ws` servers behind fault-injecting proxies, for a while, with
// random faults; then an account of every message. Run by `npm run soak` (scripts/soak.ts) and,
// in a short form, by spec/reliability/soak.spec.ts.
//
// Accounting. Every message carries its machine's sequence number and is classed when given to
// `output`: "queued" when the machine is not CONNECTED (the contract promises those: delivered in
// order, or reported on `dropped$` when the bounded queue gives them up), "live" otherwise (handed
// to an open socket; lost in flight if that connection dies first). A machine only gets a fault
// aimed at its connection once the server holds every queued message it was given, because a
// queued message flushed onto a socket that dies at once is in flight too. Proxy-wide faults
// (latency, hung/trickled/refused new connections) strike whenever they like.
import type { WebSocket } from 'ws';
import { Command, Machine, State, type MachineOptions } from '../../lib/index.js';
import { heapUsed, pick, prng, resources, serve, settle, tick, until, type Served } from './helpers.js';
import { FaultProxy, type AcceptMode } from './proxy.js';

export interface SoakOptions {
  seconds: number;
  machines?: number;
  servers?: number;
  seed?: number;
  /** Mean ms between two faults (over all machines). */
  faultEveryMs?: number;
  /**
   * Go on past `seconds` (up to three times as long) until this many faults were injected: a
   * loaded machine reconnects more slowly, and a fault needs a connection to hit.
   */
  minFaults?: number;
  /** ms between two sends of one machine, on average. */
  sendEveryMs?: number;
  /** Progress lines; none by default. */
  log?: (line: string) => void;
}

export interface SoakResult {
  seconds: number;
  machines: number;
  seed: number;
  faults: Record<string, number>;
  faultsTotal: number;
  reconnects: number;
  sentQueued: number;
  sentLive: number;
  /** Messages the servers received. */
  received: number;
  /** Messages the servers sent and the machines got on input$. */
  serverSent: number;
  clientReceived: number;
  /** Reported on dropped$. */
  dropped: number;
  /** Queued messages neither delivered nor reported: must be 0. */
  lostQueued: number;
  /** Live messages that died with their connection. */
  lostInFlight: number;
  duplicated: number;
  /** Messages that came out of order on one connection: must be 0. */
  outOfOrder: number;
  /** Queued messages received out of order: must be 0. */
  queuedOutOfOrder: number;
  /** Live messages delayed on a dying connection that reached the server after newer ones. */
  lateAcrossConnections: number;
  /** Every machine was CONNECTED with its queue delivered once faults stopped. */
  recovered: boolean;
  recoveryMs: number;
  heapBefore: number;
  heapPeak: number;
  heapAfter: number;
  /** Resources (process.getActiveResourcesInfo) left over the baseline once everything closed. */
  handlesLeft: Record<string, number>;
}

/** Per-sequence-number facts, one byte each: what kind of message, and how often received. */
const QUEUED = 1;
const LIVE = 2;
const DROPPED = 3;

class Ledger {
  kind = new Uint8Array(256);
  got = new Uint8Array(256);
  seq = 0;
  pendingQueued = 0;
  /** The largest number received so far, on any connection. */
  maxReceived = 0;

  next(kind: number): number {
    const n = ++this.seq;
    if (n >= this.kind.length) {
      this.kind = grow(this.kind);
      this.got = grow(this.got);
    }
    this.kind[n] = kind;
    if (kind === QUEUED) this.pendingQueued++;
    return n;
  }
}

function grow(bytes: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  const bigger = new Uint8Array(bytes.length * 2);
  bigger.set(bytes);
  return bigger;
}

interface Client {
  readonly index: number;
  readonly path: string;
  readonly proxy: FaultProxy;
  readonly machine: Machine;
  readonly ledger: Ledger;
  connected: boolean;
  connects: number;
  nextSendAt: number;
}

const PER_MACHINE_FAULTS = ['reset', 'blackhole', 'cut-up', 'cut-down', 'server-close', 'server-terminate', 'reconnect-command'] as const;
const PROXY_FAULTS = ['latency', 'hang', 'trickle', 'refuse'] as const;

export async function soak(options: SoakOptions): Promise<SoakResult> {
  const seconds = options.seconds;
  const count = options.machines ?? 100;
  const serverCount = options.servers ?? 4;
  const seed = options.seed ?? 1;
  const faultEveryMs = options.faultEveryMs ?? 25;
  const sendEveryMs = options.sendEveryMs ?? 100;
  const log = options.log ?? ((): void => undefined);
  const random = prng(seed);

  // After a tick: mocha arms a test's timeout timer only once the test function has returned.
  await tick();
  const baseline = resources();
  const heapBefore = await heapUsed();
  let heapPeak = heapBefore;

  const faults: Record<string, number> = {};
  let faultCount = 0;
  const count1 = (name: string): void => {
    faults[name] = (faults[name] ?? 0) + 1;
    faultCount++;
  };
  let received = 0;
  let duplicated = 0;
  let outOfOrder = 0;
  let lateAcrossConnections = 0;
  let queuedOutOfOrder = 0;
  let serverSent = 0;
  let clientReceived = 0;
  let dropped = 0;
  const clients: Client[] = [];
  /** The server's end of each machine's newest connection. */
  const serverSide = new Map<string, WebSocket>();
  const byPath = new Map<string, Client>();

  // Servers: every message is checked on arrival against its machine's ledger.
  const servers: Served[] = [];
  const proxies: FaultProxy[] = [];
  for (let s = 0; s < serverCount; s++) {
    const server = await serve({
      onConnection: (ws: WebSocket, path: string) => {
        const client = byPath.get(path);
        if (client === undefined) return;
        serverSide.set(path, ws);
        ws.on('close', () => {
          if (serverSide.get(path) === ws) serverSide.delete(path);
        });
        let last = 0;
        ws.on('message', (data: Buffer) => {
          const n = Number(String(data));
          const ledger = client.ledger;
          received++;
          if (n <= last) outOfOrder++;
          last = n;
          if ((ledger.got[n] ?? 0) > 0) duplicated++;
          ledger.got[n] = Math.min(255, (ledger.got[n] ?? 0) + 1);
          if (n < ledger.maxReceived) {
            if (ledger.kind[n] === QUEUED) queuedOutOfOrder++;
            else lateAcrossConnections++;
          }
          ledger.maxReceived = Math.max(ledger.maxReceived, n);
          if (ledger.kind[n] === QUEUED) ledger.pendingQueued--;
        });
      },
    });
    const proxy = new FaultProxy(server.port);
    await proxy.listen();
    servers.push(server);
    proxies.push(proxy);
  }

  for (let i = 0; i < count; i++) {
    const proxy = proxies[i % serverCount] as FaultProxy;
    const path = `/m/${i}`;
    const r = prng(seed * 1000 + i);
    const machineOptions: MachineOptions = {
      connectTimeout: 400 + Math.floor(r() * 400),
      retryDelay: (attempt) => Math.min(1500, 40 * 2 ** attempt) * (0.5 + r() / 2),
      minUptime: pick(r, [0, 100, 500, 1000]),
      pingInterval: 300 + Math.floor(r() * 300),
      pongTimeout: 300,
      format: r() < 0.5 ? 'text' : 'binary',
      // A few machines with a small queue: their overflow must show up on dropped$.
      maxQueue: i % 10 === 0 ? 8 : 1000,
      overflow: i % 20 === 0 ? 'drop-newest' : 'drop-oldest',
    };
    const machine = new Machine(`ws://127.0.0.1:${proxy.port}${path}`, machineOptions);
    const client: Client = { index: i, path, proxy, machine, ledger: new Ledger(), connected: false, connects: 0, nextSendAt: 0 };
    machine.state$.subscribe((s) => {
      client.connected = s.state === State.CONNECTED;
      if (client.connected) client.connects++;
    });
    machine.input$.subscribe(() => clientReceived++);
    machine.dropped$.subscribe((m) => {
      const n = Number(typeof m === 'string' ? m : Buffer.from(m.buffer, m.byteOffset, m.byteLength).toString());
      const ledger = client.ledger;
      dropped++;
      if (ledger.kind[n] === QUEUED && (ledger.got[n] ?? 0) === 0) ledger.pendingQueued--;
      ledger.kind[n] = DROPPED;
    });
    clients.push(client);
    byPath.set(path, client);
  }

  const send = (client: Client): void => {
    const n = client.ledger.next(client.connected ? LIVE : QUEUED);
    client.machine.output.next(String(n));
  };
  const eligible = (client: Client): boolean => client.connected && client.ledger.pendingQueued === 0;

  function perMachineFault(): void {
    const candidates = clients.filter(eligible);
    if (candidates.length === 0) return;
    const client = pick(random, candidates);
    const link = client.proxy.linksTo(client.path).pop();
    const fault = pick(random, PER_MACHINE_FAULTS);
    const ws = serverSide.get(client.path);
    switch (fault) {
      case 'reset':
        if (link) client.proxy.reset(link);
        break;
      case 'blackhole':
        if (link) client.proxy.blackhole(link);
        break;
      case 'cut-up':
        if (link) client.proxy.cutNext(link, 'up');
        break;
      case 'cut-down':
        if (link) client.proxy.cutNext(link, 'down');
        if (ws?.readyState === 1) {
          ws.send(`cut ${client.path}`);
          serverSent++;
        }
        break;
      case 'server-close':
        ws?.close(1001, 'going away');
        break;
      case 'server-terminate':
        ws?.terminate();
        break;
      case 'reconnect-command':
        client.machine.command.next(Command.RECONNECT);
        break;
    }
    count1(fault);
  }

  // Proxy-wide faults last a while, then the proxy is restored.
  const restoreAt = new Map<FaultProxy, number>();
  function proxyFault(now: number): void {
    const proxy = pick(random, proxies);
    if (restoreAt.has(proxy)) return;
    const fault = pick(random, PROXY_FAULTS);
    if (fault === 'latency') proxy.latency = 5 + Math.floor(random() * 45);
    else {
      const modes: Record<string, AcceptMode> = { hang: 'hang', trickle: 'trickle', refuse: 'reset' };
      proxy.accept = modes[fault] as AcceptMode;
      proxy.trickleMs = 15;
    }
    restoreAt.set(proxy, now + 200 + random() * 800);
    count1(fault);
  }
  function restoreProxies(now: number): void {
    for (const [proxy, at] of restoreAt) {
      if (at > now) continue;
      proxy.latency = 0;
      proxy.accept = 'forward';
      restoreAt.delete(proxy);
    }
  }

  const started = performance.now();
  const endAt = started + seconds * 1000;
  const latestEndAt = started + 3 * seconds * 1000;
  const minFaults = options.minFaults ?? 0;
  let nextFaultAt = started + 500;
  let nextServerSendAt = started;
  let nextLogAt = started + 10_000;
  let nextHeapAt = started + 2000;
  while (performance.now() < endAt || (faultCount < minFaults && performance.now() < latestEndAt)) {
    const now = performance.now();
    for (const client of clients) {
      if (now < client.nextSendAt) continue;
      send(client);
      // The small-queue machines send a burst while down, so that their queues do overflow
      // (onto dropped$) however short the outages are on a busy machine.
      if (!client.connected && client.index % 10 === 0) for (let k = 0; k < 10; k++) send(client);
      client.nextSendAt = now + sendEveryMs * (0.5 + random());
    }
    while (now >= nextFaultAt) {
      if (random() < 0.8) perMachineFault();
      else proxyFault(now);
      nextFaultAt += faultEveryMs * 2 * random();
    }
    restoreProxies(now);
    if (now >= nextServerSendAt) {
      for (const server of servers) {
        for (const ws of server.clients) {
          if (random() < 0.2 && ws.readyState === 1) {
            ws.send('news');
            serverSent++;
          }
        }
      }
      nextServerSendAt = now + 100;
    }
    if (now >= nextHeapAt) {
      heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
      nextHeapAt = now + 2000;
    }
    if (now >= nextLogAt) {
      const total = Object.values(faults).reduce((a, b) => a + b, 0);
      log(
        `${Math.round((now - started) / 1000)} s: ${total} faults, ${clients.filter((c) => c.connected).length}/${count} connected, ${received} received, heap ${(process.memoryUsage().heapUsed / 1048576).toFixed(1)} MB`,
      );
      nextLogAt = now + 10_000;
    }
    await tick(5);
  }

  // Faults stop: every machine must come back and deliver its queue.
  for (const proxy of proxies) {
    proxy.latency = 0;
    proxy.accept = 'forward';
  }
  restoreAt.clear();
  const stopAt = performance.now();
  let recovered = true;
  try {
    await until(() => clients.every(eligible), 20_000, 'every machine CONNECTED with its queue delivered', 10);
  } catch {
    recovered = false;
  }
  const recoveryMs = Math.round(performance.now() - stopAt);
  // Give live messages on healthy connections time to land before counting them lost.
  await tick(200);
  heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);

  let sentQueued = 0;
  let sentLive = 0;
  let lostQueued = 0;
  let lostInFlight = 0;
  let reconnects = 0;
  for (const client of clients) {
    const { ledger } = client;
    reconnects += Math.max(0, client.connects - 1);
    for (let n = 1; n <= ledger.seq; n++) {
      const kind = ledger.kind[n];
      const got = (ledger.got[n] ?? 0) > 0;
      if (kind === QUEUED) {
        sentQueued++;
        if (!got) lostQueued++;
      } else if (kind === LIVE) {
        sentLive++;
        if (!got) lostInFlight++;
      } else if (kind === DROPPED) {
        sentQueued++;
      }
    }
  }

  // Stop everything; nothing may be left once the close handshakes end.
  for (const client of clients) client.machine.command.next(Command.QUIT);
  await until(() => servers.every((s) => s.clients.size === 0), 5000, 'server-side sockets to close', 10).catch(() => undefined);
  for (const proxy of proxies) await proxy.close();
  for (const server of servers) await server.close();
  clients.length = 0;
  byPath.clear();
  const handlesLeft = await settle(baseline, 3000);
  const heapAfter = await heapUsed();

  return {
    seconds: Math.round((stopAt - started) / 100) / 10, // of faults: more than asked when minFaults needed it
    machines: count,
    seed,
    faults,
    faultsTotal: Object.values(faults).reduce((a, b) => a + b, 0),
    reconnects,
    sentQueued,
    sentLive,
    received,
    serverSent,
    clientReceived,
    dropped,
    lostQueued,
    lostInFlight,
    duplicated,
    outOfOrder,
    queuedOutOfOrder,
    lateAcrossConnections,
    recovered,
    recoveryMs,
    heapBefore,
    heapPeak,
    heapAfter,
    handlesLeft,
  };
}

/** The result as a few readable lines. */
export function describeSoak(r: SoakResult): string {
  const mb = (b: number): string => `${(b / 1048576).toFixed(1)} MB`;
  return [
    `soak: ${r.machines} machines, ${r.seconds} s, seed ${r.seed}`,
    `faults: ${r.faultsTotal} ${JSON.stringify(r.faults)}`,
    `reconnects: ${r.reconnects}; recovered: ${r.recovered} (${r.recoveryMs} ms after faults stopped)`,
    `messages sent: ${r.sentQueued + r.sentLive} (${r.sentQueued} queued, ${r.sentLive} live); received by servers: ${r.received}; ` +
      `server→machine: ${r.serverSent} sent, ${r.clientReceived} received`,
    `dropped (reported on dropped$): ${r.dropped}; lost queued: ${r.lostQueued}; lost in flight: ${r.lostInFlight}; ` +
      `duplicated: ${r.duplicated}; out of order: ${r.outOfOrder + r.queuedOutOfOrder}; late across connections: ${r.lateAcrossConnections}`,
    `heap: ${mb(r.heapBefore)} before, ${mb(r.heapPeak)} peak, ${mb(r.heapAfter)} after (growth ${mb(r.heapAfter - r.heapBefore)})`,
    `handles left: ${JSON.stringify(r.handlesLeft)}`,
  ].join('\n');
}
