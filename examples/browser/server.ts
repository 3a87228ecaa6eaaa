// The browser demo's server: serves index.html and app.ts (bundled by esbuild on each request, so
// an edit shows on reload), and a WebSocket endpoint /ws that echoes, answers the heartbeat and
// sends a tick now and then. POST /restart drops every connection and refuses new ones for a while.
//
//   npm run demo:browser            (PORT=8080 npm run demo:browser for a fixed port)
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { WebSocketServer, type WebSocket } from 'ws';

const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));

export interface DemoOptions {
  port?: number;
  /** ms between the server's tick messages */
  tickMs?: number;
  /** ms the server stays down after POST /restart */
  downMs?: number;
}

export interface DemoServer {
  url: string;
  close(): Promise<void>;
}

async function bundle(): Promise<string> {
  const out = await build({
    entryPoints: [here('./app.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    sourcemap: 'inline',
    write: false,
    logLevel: 'silent',
  });
  return out.outputFiles[0]!.text;
}

export async function startDemoServer({ port = 0, tickMs = 2000, downMs = 3000 }: DemoOptions = {}): Promise<DemoServer> {
  const wss = new WebSocketServer({ noServer: true });
  const sockets = new Set<Socket>();
  let downUntil = 0;
  let downTimer: ReturnType<typeof setTimeout> | undefined;

  wss.on('connection', (ws: WebSocket) => {
    let n = 0;
    const ticker = setInterval(() => ws.send(`tick ${++n} · ${new Date().toTimeString().slice(0, 8)}`), tickMs);
    ws.on('close', () => clearInterval(ticker));
    ws.on('message', (data: Buffer, binary: boolean) => {
      if (data.toString() === 'heartbeat') {
        ws.send('heartbeat-ack');
        return;
      }
      ws.send(binary ? data : `echo: ${data.toString()}`, { binary });
    });
  });

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const reply = (type: string, body: string): void =>
      void res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
    const fail = (e: Error): void => void res.writeHead(500, { 'content-type': 'text/plain' }).end(e.message);
    if (req.method === 'GET' && path === '/')
      readFile(here('./index.html'), 'utf8').then((html) => reply('text/html; charset=utf-8', html), fail);
    else if (req.method === 'GET' && path === '/app.js') bundle().then((js) => reply('text/javascript; charset=utf-8', js), fail);
    // The page names no icon (index.html links an empty one); a browser that asks anyway gets nothing, not a 404.
    else if (req.method === 'GET' && path === '/favicon.ico') res.writeHead(204).end();
    else if (req.method === 'POST' && path === '/restart') {
      for (const ws of wss.clients) ws.close(1012, 'server restart');
      downUntil = Date.now() + downMs;
      clearTimeout(downTimer);
      downTimer = setTimeout(() => (downUntil = 0), downMs);
      reply('application/json', JSON.stringify({ downMs }));
    } else res.writeHead(404).end();
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    if (new URL(req.url ?? '/', 'http://x').pathname !== '/ws') return void socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
    // While "restarting", refuse the upgrade as a server behind a proxy would.
    if (Date.now() < downUntil) return void socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n');
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  await new Promise<void>((done) => server.listen(port, '127.0.0.1', done));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return {
    url,
    close: () =>
      new Promise<void>((done) => {
        clearTimeout(downTimer);
        for (const ws of wss.clients) ws.terminate();
        wss.close();
        for (const s of sockets) s.destroy();
        server.close(() => done());
      }),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const demo = await startDemoServer({ port: Number(process.env.PORT ?? 0) });
  console.log(`ws-machine browser demo: ${demo.url}  (Ctrl-C to stop)`);
  const stop = (): void => void demo.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
