// The bench's WebSocket server: a child process on 127.0.0.1, port 0, driven by the orchestrator.
//
// The path of a client's URL picks what the server does with the connection, `?id=` names it:
//   /echo    sends every message back
//   /stream  waits for a `stream` command, then writes N pre-framed messages straight to the socket
//   /sink    counts incoming frames by parsing only their headers (cheaper than a full receiver, so
//            the client, not the server, is what a send benchmark measures)
//   /slow    like /sink, but reads at most one chunk every 100 ms (flow-control scenario)
//   /idle    nothing (ws answers pings)
import http from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { now, serve } from './ipc.js';

interface Conn {
  id: string;
  mode: string;
  ws: WebSocket;
  socket: Socket;
  received: number;
  bytes: number;
  target: number;
  reachedAt: number;
  onReached: (() => void)[];
  slowTimer?: NodeJS.Timeout;
}

const byId = new Map<string, Conn>();
const open = new Set<Conn>();
/** Pings received from every client so far (keep-alive traffic of the scale scenario). */
let pings = 0;

const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false, maxPayload: 1 << 26 });
const server = http.createServer((_req, res) => res.writeHead(426).end());

server.on('upgrade', (req, socket: Socket, head) => {
  const url = new URL(req.url ?? '/', 'http://bench');
  const mode = url.pathname.slice(1) || 'idle';
  const id = url.searchParams.get('id') ?? '';
  socket.on('error', () => socket.destroy());
  wss.handleUpgrade(req, socket, head, (ws) => {
    const conn: Conn = { id, mode, ws, socket, received: 0, bytes: 0, target: Infinity, reachedAt: 0, onReached: [] };
    if (id) byId.set(id, conn);
    open.add(conn);
    ws.on('error', () => undefined);
    ws.on('ping', () => pings++);
    ws.on('close', () => {
      open.delete(conn);
      clearInterval(conn.slowTimer);
      if (byId.get(id) === conn) byId.delete(id);
    });
    if (mode === 'echo') ws.on('message', (data, isBinary) => ws.send(data as Buffer, { binary: isBinary }));
    if (mode === 'sink' || mode === 'slow') countRaw(conn);
    if (mode === 'slow') {
      socket.pause();
      conn.slowTimer = setInterval(() => {
        socket.once('data', () => socket.pause());
        socket.resume();
      }, 100);
    }
  });
});

const listening = new Promise<number>((resolve) => {
  server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => {
    const address = server.address();
    resolve(typeof address === 'object' && address ? address.port : 0);
  });
});

// Takes the socket's incoming bytes away from ws and counts data frames by their headers alone.
function countRaw(conn: Conn): void {
  const { socket } = conn;
  socket.removeAllListeners('data');
  const header = Buffer.alloc(14);
  let have = 0; // header bytes collected
  let need = 2; // header bytes this frame has
  let left = 0; // payload bytes still to skip
  let opcode = 0;
  let length = 0;
  const frameDone = () => {
    if (opcode === 1 || opcode === 2 || opcode === 0) {
      conn.received++;
      conn.bytes += length;
      if (conn.received === conn.target) reached(conn);
    } else if (opcode === 8) {
      // Answer the client's close so its handshake ends at once.
      socket.end(Buffer.from([0x88, 0x02, 0x03, 0xe8]));
    }
  };
  socket.on('data', (chunk: Buffer) => {
    let i = 0;
    while (i < chunk.length) {
      if (left > 0) {
        const n = Math.min(left, chunk.length - i);
        i += n;
        left -= n;
        if (left === 0) frameDone();
        continue;
      }
      header[have++] = chunk[i++]!;
      if (have === 2) {
        const len7 = header[1]! & 0x7f;
        need = 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (header[1]! & 0x80 ? 4 : 0);
      }
      if (have < 2 || have < need) continue;
      opcode = header[0]! & 0x0f;
      const len7 = header[1]! & 0x7f;
      length = len7 === 126 ? header.readUInt16BE(2) : len7 === 127 ? Number(header.readBigUInt64BE(2)) : len7;
      have = 0;
      need = 2;
      left = length;
      if (left === 0) frameDone();
    }
  });
}

function reached(conn: Conn): void {
  conn.reachedAt = now();
  for (const f of conn.onReached.splice(0)) f();
}

function conn(id: string): Conn {
  const c = byId.get(id);
  if (!c) throw new Error(`no connection with id ${id}`);
  return c;
}

const frameCache = new Map<number, { chunk: Buffer; perChunk: number; frameLength: number }>();

// About 1 MiB of identical binary frames, server to client (so unmasked).
function frames(size: number) {
  let cached = frameCache.get(size);
  if (cached) return cached;
  const head = size < 126 ? 2 : size < 65536 ? 4 : 10;
  const frameLength = head + size;
  const perChunk = Math.max(1, Math.floor((1 << 20) / frameLength));
  const chunk = Buffer.alloc(perChunk * frameLength);
  for (let f = 0; f < perChunk; f++) {
    const at = f * frameLength;
    chunk[at] = 0x82;
    if (head === 2) chunk[at + 1] = size;
    else if (head === 4) {
      chunk[at + 1] = 126;
      chunk.writeUInt16BE(size, at + 2);
    } else {
      chunk[at + 1] = 127;
      chunk.writeBigUInt64BE(BigInt(size), at + 2);
    }
    chunk.fill(0x5a, at + head, at + frameLength);
  }
  cached = { chunk, perChunk, frameLength };
  frameCache.set(size, cached);
  return cached;
}

function drained(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => {
      socket.off('drain', done);
      socket.off('close', closed);
      resolve();
    };
    const closed = () => {
      socket.off('drain', done);
      reject(new Error('socket closed while streaming'));
    };
    socket.once('drain', done);
    socket.once('close', closed);
  });
}

serve({
  port: () => listening.then((port) => ({ port })),

  async stream({ id, count, size }: { id: string; count: number; size: number }) {
    const { socket } = conn(id);
    const { chunk, perChunk, frameLength } = frames(size);
    const t0 = now();
    let remaining = count;
    while (remaining > 0) {
      const n = Math.min(perChunk, remaining);
      remaining -= n;
      const ok = socket.write(n === perChunk ? chunk : chunk.subarray(0, n * frameLength));
      if (!ok) await drained(socket);
    }
    return { t0, tWritten: now() };
  },

  expect({ id, count }: { id: string; count: number }) {
    const c = conn(id);
    c.target = count;
    if (c.received >= count) c.reachedAt = now();
    return { received: c.received };
  },

  reached({ id }: { id: string }) {
    const c = conn(id);
    const result = () => ({ tEnd: c.reachedAt, received: c.received, bytes: c.bytes });
    if (c.reachedAt) return result();
    return new Promise((resolve) => c.onReached.push(() => resolve(result())));
  },

  received({ id }: { id: string }) {
    const c = byId.get(id);
    return { received: c?.received ?? 0, bytes: c?.bytes ?? 0 };
  },

  close({ id, code }: { id: string; code: number }) {
    const c = conn(id);
    const t0 = now();
    c.ws.close(code, 'bench');
    return { t0 };
  },

  destroy({ id }: { id: string }) {
    byId.get(id)?.socket.destroy();
    return {};
  },

  destroyAll() {
    for (const c of open) c.socket.destroy();
    return { destroyed: open.size };
  },

  stats() {
    const m = process.memoryUsage();
    return { connections: open.size, rss: m.rss, pings };
  },
});
