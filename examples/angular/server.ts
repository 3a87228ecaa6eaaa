// The Angular example's server: serves the app the Angular CLI built (examples/angular/dist) and
// its two WebSocket endpoints on the same port, so that the app's relative URLs ('/ws/echo') work:
//   /ws/echo    echoes every text message
//   /ws/ticker  sends a quote of every subscribed symbol every `tickMs`, answers the heartbeat
// `/` serves the app with zone.js, `/zoneless` the same build without the zone.js polyfill.
//
//   npm run example:angular      (builds the app, then serves it; PORT=4300 by default)
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, type WebSocket } from 'ws';

/** Where `ng build` puts the app (angular.json's outputPath, plus the builder's `browser/`). */
export const APP_DIR = fileURLToPath(new URL('./dist/browser/', import.meta.url));

/** What the ticker endpoint understands, as JSON text frames. */
export type TickerRequest = { type: 'subscribe'; symbol: string } | { type: 'unsubscribe'; symbol: string } | { type: 'ping' };

/** What the server saw of one WebSocket connection. */
export interface Connection {
  path: string;
  received: string[];
  /** The close code the client sent, once the connection is closed. */
  closeCode?: number;
}

export interface ExampleOptions {
  /** 0 picks a free port. */
  port?: number;
  /** ms between quotes */
  tickMs?: number;
  /** the built app; default {@link APP_DIR} */
  appDir?: string;
}

export interface ExampleServer {
  readonly port: number;
  readonly origin: string;
  readonly connections: Connection[];
  /** Drops every connection (code 1012) and stops listening; `start()` listens on the same port again. */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.ico': 'image/x-icon',
};

function parse(text: string): TickerRequest | undefined {
  try {
    const value = JSON.parse(text) as Partial<TickerRequest> | null;
    return typeof value?.type === 'string' ? (value as TickerRequest) : undefined;
  } catch {
    return undefined;
  }
}

export async function startExampleServer({ port = 0, tickMs = 200, appDir = APP_DIR }: ExampleOptions = {}): Promise<ExampleServer> {
  const connections: Connection[] = [];
  const sockets = new Set<Socket>();
  const wss = new WebSocketServer({ noServer: true });

  wss.on('connection', (ws: WebSocket, req: IncomingMessage) => {
    const connection: Connection = { path: new URL(req.url ?? '/', 'http://x').pathname, received: [] };
    connections.push(connection);
    const symbols = new Set<string>();
    let price = 100;
    const ticker =
      connection.path === '/ws/ticker'
        ? setInterval(() => {
            for (const symbol of symbols) ws.send(JSON.stringify({ symbol, price: (price += Math.random() - 0.5) }));
          }, tickMs)
        : undefined;
    ws.on('close', (code) => {
      connection.closeCode = code;
      clearInterval(ticker);
    });
    ws.on('message', (data: Buffer) => {
      const text = data.toString();
      connection.received.push(text);
      if (connection.path === '/ws/echo') {
        ws.send(text);
        return;
      }
      const request = parse(text);
      if (request?.type === 'ping') ws.send(JSON.stringify({ type: 'pong' }));
      if (request?.type === 'subscribe') symbols.add(request.symbol);
      if (request?.type === 'unsubscribe') symbols.delete(request.symbol);
    });
  });

  const server: Server = createServer((req, res) => {
    void (async () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const file = normalize(join(appDir, path === '/' || path === '/zoneless' ? 'index.html' : path));
      if (!file.startsWith(appDir)) return void res.writeHead(404).end();
      try {
        let body: Buffer | string = await readFile(file);
        // The same build without zone.js: its polyfills bundle holds nothing else.
        if (path === '/zoneless') body = body.toString().replace(/<script src="polyfills-[^"]*"[^>]*><\/script>/, '');
        res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' }).end(body);
      } catch {
        res.writeHead(404).end();
      }
    })();
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path !== '/ws/echo' && path !== '/ws/ticker') return void socket.destroy();
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  let listeningPort = port;
  const start = (): Promise<void> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(listeningPort, '127.0.0.1', () => {
        server.off('error', reject);
        listeningPort = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  const stop = async (): Promise<void> => {
    for (const ws of wss.clients) ws.close(1012, 'server restart');
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Give the close frames a moment, then cut whatever is left (keep-alive HTTP sockets too).
    await new Promise((resolve) => setTimeout(resolve, 50));
    for (const socket of sockets) socket.destroy();
    await closed;
  };
  await start();

  return {
    get port() {
      return listeningPort;
    },
    get origin() {
      return `http://127.0.0.1:${listeningPort}`;
    },
    connections,
    start,
    stop,
    async close() {
      if (server.listening) await stop();
      wss.close();
    },
  };
}

// Run directly: serve the built app for a person to try.
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const example = await startExampleServer({ port: Number(process.env.PORT ?? 4300) });
  console.log(`Angular example on ${example.origin} (with zone.js) and ${example.origin}/zoneless; Ctrl-C stops it`);
  process.once('SIGINT', () => void example.close().then(() => process.exit(0)));
}
