// The browser test's server: one HTTP server on 127.0.0.1 serving the harness page and its bundle,
// with a `ws` WebSocketServer on the same port. It can go down and come back on the same port, and
// it records what it saw so the test can check the browser's side from the server's side too.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

/** The message the page's machines use as `heartbeat`, and what the server answers it with. */
export const HEARTBEAT = 'heartbeat';
export const HEARTBEAT_ACK = 'heartbeat-ack';

/** What the server saw of one WebSocket connection; `id` is the `id` query parameter of its URL. */
export interface Connection {
  id: string;
  offered: string[];
  userAgent: string;
  frames: { text: string; binary: boolean }[];
  heartbeats: number;
  closeCode?: number;
}

export interface Fixture {
  readonly port: number;
  readonly origin: string;
  /** ws:// URL of the echo endpoint; `id` tags the connection in `connections`. */
  wsUrl(id: string): string;
  readonly connections: Connection[];
  /** While false the server still echoes messages but ignores heartbeats (a dead peer for keep-alive). */
  answerHeartbeats: boolean;
  /** Closes the open connections tagged `id` from the server's side. */
  kick(id: string, code: number): void;
  /** Closes every client with 1012, stops listening for `downMs`, then listens on the same port again. */
  restart(downMs: number): Promise<void>;
  close(): Promise<void>;
}

export async function startFixture(files: Record<string, { type: string; body: string }>): Promise<Fixture> {
  const connections: Connection[] = [];
  const open = new Map<WebSocket, string>();
  const sockets = new Set<Socket>();
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (offered) => [...offered][0] ?? false });
  let server: Server;
  let port = 0;

  wss.on('connection', (ws: WebSocket, req: IncomingMessage) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const offered = (req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean);
    const conn: Connection = {
      id: url.searchParams.get('id') ?? '',
      offered,
      userAgent: req.headers['user-agent'] ?? '',
      frames: [],
      heartbeats: 0,
    };
    connections.push(conn);
    open.set(ws, conn.id);
    ws.on('message', (data: Buffer, binary: boolean) => {
      const text = data.toString();
      conn.frames.push({ text, binary });
      if (text === HEARTBEAT) {
        conn.heartbeats++;
        if (fixture.answerHeartbeats) ws.send(HEARTBEAT_ACK);
        return;
      }
      ws.send(data, { binary });
    });
    ws.on('close', (code: number) => {
      conn.closeCode = code;
      open.delete(ws);
    });
  });

  function listen(): Promise<void> {
    server = createServer((req, res) => {
      const file = files[new URL(req.url ?? '/', 'http://x').pathname];
      if (!file) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-store' }).end(file.body);
    });
    server.on('connection', (s: Socket) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    });
    return new Promise((done, fail) => {
      server.once('error', fail);
      server.listen(port, '127.0.0.1', () => {
        port = (server.address() as AddressInfo).port;
        done();
      });
    });
  }

  function down(): Promise<void> {
    for (const ws of wss.clients) ws.close(1012, 'server restart');
    return new Promise((done) => {
      server.close(() => done());
      // Give the close handshakes a moment, then cut whatever is left (keep-alive HTTP, stragglers).
      setTimeout(() => {
        for (const ws of wss.clients) ws.terminate();
        for (const s of sockets) s.destroy();
      }, 100).unref();
    });
  }

  await listen();
  const fixture: Fixture = {
    get port() {
      return port;
    },
    get origin() {
      return `http://127.0.0.1:${port}`;
    },
    wsUrl: (id) => `ws://127.0.0.1:${port}/echo?id=${encodeURIComponent(id)}`,
    connections,
    answerHeartbeats: true,
    kick(id, code) {
      for (const [ws, tag] of open) if (tag === id) ws.close(code, 'kicked');
    },
    async restart(downMs) {
      await down();
      await new Promise((r) => setTimeout(r, downMs));
      await listen();
    },
    async close() {
      await down();
      wss.close();
    },
  };
  return fixture;
}
