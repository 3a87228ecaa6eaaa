// Shared tools of the reliability suite: waiting on conditions, a seeded PRNG, local ws servers,
// and accounting of live handles and heap.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { WebSocketServer, type ServerOptions, type WebSocket } from 'ws';
import type { Status } from '../../lib/index.js';

/** Resolves once `predicate()` holds, polling every `everyMs`; rejects after `timeoutMs` naming `what`. */
export async function until(predicate: () => boolean, timeoutMs: number, what = 'condition', everyMs = 2): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Lets pending I/O callbacks and timers of 0 ms run. */
export function tick(ms = 0): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** mulberry32: a small seeded PRNG, so that a failing random run can be replayed from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

export interface Served {
  readonly port: number;
  readonly url: string;
  readonly http: http.Server;
  readonly wss: WebSocketServer;
  /** Open server-side sockets. */
  readonly clients: Set<WebSocket>;
  /** Every upgrade request path, in order. */
  readonly paths: string[];
  close(): Promise<void>;
}

export interface ServeOptions {
  /** Called for each new connection, with the request path. */
  onConnection?: (ws: WebSocket, path: string) => void;
  /** Answers an upgrade request itself (return true) instead of letting ws accept it. */
  onUpgrade?: (req: http.IncomingMessage, socket: Socket) => boolean;
  /** A server to attach to (e.g. an https server for wss); a plain http server otherwise. */
  server?: http.Server;
  /** Picks the sub-protocol from those offered, as ws's option of that name does. */
  handleProtocols?: ServerOptions['handleProtocols'];
}

/** A ws server on 127.0.0.1, port 0. `close()` ends every connection and both servers. */
export async function serve(options: ServeOptions = {}): Promise<Served> {
  const server = options.server ?? http.createServer((_req, res) => res.writeHead(426).end());
  const wss = new WebSocketServer({ noServer: true, handleProtocols: options.handleProtocols });
  const clients = new Set<WebSocket>();
  const paths: string[] = [];
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('secureConnection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    paths.push(req.url ?? '');
    if (options.onUpgrade?.(req, socket)) return;
    wss.handleUpgrade(req, socket, head, (ws) => {
      clients.add(ws);
      ws.on('error', () => undefined);
      ws.on('close', () => clients.delete(ws));
      options.onConnection?.(ws, req.url ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `ws://127.0.0.1:${port}`,
    http: server,
    wss,
    clients,
    paths,
    async close() {
      for (const ws of clients) ws.terminate();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Records every status of a machine with the time it arrived. */
export interface StatusLog {
  readonly all: Status[];
  readonly times: number[];
  last(): Status | undefined;
  count(predicate: (s: Status) => boolean): number;
}

export function record(state$: { subscribe(fn: (s: Status) => void): unknown }): StatusLog {
  const all: Status[] = [];
  const times: number[] = [];
  state$.subscribe((s) => {
    all.push(s);
    times.push(performance.now());
  });
  return {
    all,
    times,
    last: () => all[all.length - 1],
    count: (predicate) => all.filter(predicate).length,
  };
}

/** Counts of `process.getActiveResourcesInfo()` by type. */
export function resources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

/** The resource types of which there are more now than in `baseline`, with how many more. */
export function leftOver(baseline: Record<string, number>): Record<string, number> {
  const extra: Record<string, number> = {};
  for (const [type, n] of Object.entries(resources())) {
    const more = n - (baseline[type] ?? 0);
    if (more > 0) extra[type] = more;
  }
  return extra;
}

/** Waits until no resource is left over `baseline` (close handshakes take a few ticks); returns what is left. */
export async function settle(baseline: Record<string, number>, timeoutMs: number): Promise<Record<string, number>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const extra = leftOver(baseline);
    if (Object.keys(extra).length === 0 || Date.now() > deadline) return extra;
    await tick(5);
  }
}

let gcFn: (() => void) | undefined;
/**
 * A full garbage collection: `global.gc` when node runs with --expose-gc, otherwise the same
 * function obtained by turning the flag on at run time (V8 exposes it to contexts made after that).
 */
export function gc(): (() => void) | undefined {
  if (gcFn) return gcFn;
  const global = globalThis as { gc?: () => void };
  if (typeof global.gc === 'function') {
    gcFn = global.gc;
  } else {
    try {
      setFlagsFromString('--expose-gc');
      gcFn = runInNewContext('gc') as () => void;
    } catch {
      gcFn = undefined;
    }
  }
  return gcFn;
}

/** Heap in use after a full collection (a couple of passes so weak references clear too). */
export async function heapUsed(): Promise<number> {
  const collect = gc();
  for (let i = 0; i < 3; i++) {
    collect?.();
    await tick();
  }
  return process.memoryUsage().heapUsed;
}

export function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(2)} MB`;
}
