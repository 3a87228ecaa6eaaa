// One adapter per library: open a reconnecting connection, report opens and messages at the API a
// user of that library would read them from, send bytes, close for good.
//
// Every library gets `ws` as its WebSocket, binary frames delivered as Node Buffers (Uint8Array)
// where the library lets binaryType through ('nodebuffer': ws-machine and raw ws use it anyway, so
// the peers are not slowed down by an ArrayBuffer copy or a Blob), and the smallest reconnect delay
// it can be given (see SETTINGS).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { MachineOptions } from '../lib/index.js';

export const LIBS = ['ws-machine', 'ws', 'rxjs', 'partysocket', 'reconnecting-websocket', 'rxjs-websockets', 'websocket-ts'] as const;

/**
 * Raw ws with keep-alive written by hand (a ping after `pingInterval` of silence, a deadline of
 * `pongTimeout`): the fair baseline for idle CPU with keep-alive on. Only in the scale scenario.
 */
export const KEEPALIVE_BASELINE = 'ws-keepalive';
export type Lib = (typeof LIBS)[number] | typeof KEEPALIVE_BASELINE;

/** Function-typed properties: adapters pass them on unbound (no per-connection wrapper closure). */
export interface Handlers {
  open: () => void;
  message: (data: unknown) => void;
}

export interface Client {
  send(data: Uint8Array): void;
  /** Reconnects at once, as a user would ask for it (ws-machine: `Command.RECONNECT`). */
  reconnect?(): void;
  /** Closes for good: no reconnect afterwards. */
  close(): void;
}

export type Connect = (url: string, handlers: Handlers) => Client;

/** What each adapter sets, for the report. */
export const SETTINGS: Record<Lib, string> = {
  'ws-machine': 'built dist/esm; `retryDelay: 0, minUptime: 50`, everything else default (keep-alive 30 s / 10 s)',
  ws: 'ws 8, reconnects itself synchronously in its `close` handler (the practical limit)',
  rxjs: "`webSocket({ WebSocketCtor: ws, binaryType: 'nodebuffer', serializer/deserializer: identity })`, `retry()` + `repeat()` (no delay)",
  partysocket:
    "`partysocket/ws` ReconnectingWebSocket, `{ WebSocket: ws, minReconnectionDelay: 0, minUptime: 50 }`, binaryType 'nodebuffer', addEventListener",
  'reconnecting-websocket': "`{ WebSocket: ws, minReconnectionDelay: 0, minUptime: 50 }`, binaryType 'nodebuffer', addEventListener",
  'rxjs-websockets': "factory `new ws(url, protocols)` with binaryType 'nodebuffer', `switchMap` to the messages, `retry()` (no delay)",
  'websocket-ts': '`globalThis.WebSocket = ws` (Node 20 has none), `WebsocketBuilder` with `ConstantBackoff(0)`',
  'ws-keepalive':
    'ws 8 with keep-alive by hand: one `setTimeout` per connection; after `pingInterval` ms without a frame it pings and waits `pongTimeout` ms for any frame (then terminates and reconnects); a pong re-arms the `pingInterval` timer',
};

/** The built package; BENCH_WS_MACHINE=path/to/index.js measures another build (experiments). */
export const DIST_OVERRIDE = process.env.BENCH_WS_MACHINE;
const ROOT = process.env.BENCH_ROOT ?? fileURLToPath(new URL('..', import.meta.url));
export const DIST = pathToFileURL(DIST_OVERRIDE ? resolve(DIST_OVERRIDE) : resolve(ROOT, 'dist/esm/index.js'));

export function distExists(): boolean {
  return existsSync(DIST);
}

export function sizeOf(data: unknown): number {
  if (typeof data === 'string') return data.length;
  if (ArrayBuffer.isView(data)) return data.byteLength;
  if (data instanceof ArrayBuffer) return data.byteLength;
  return -1; // a Blob or anything else a user could not read synchronously: flags a wrong binaryType
}

function interop(mod: { default: unknown }): unknown {
  const d = mod.default;
  return typeof d === 'object' && d !== null && 'default' in d ? d.default : d;
}

type Machine = typeof import('../lib/index.js');

/**
 * Loads only the library asked for, so a fresh process measures that library's memory alone.
 * `options`: ws-machine options over the bench defaults; for raw ws, `manual: true` makes it wait
 * for `reconnect()` after a close instead of reconnecting by itself (and gives it `reconnect`); for
 * ws-keepalive, `pingInterval` and `pongTimeout`. `reconnectable: true` gives ws-machine's client a
 * `reconnect` (only where it is used: every closure per connection shows in the memory rows).
 */
export async function loadAdapter(lib: Lib, options: Record<string, unknown> = {}): Promise<Connect> {
  const { WebSocket: WS } = await import('ws');
  switch (lib) {
    case 'ws-machine': {
      if (!distExists()) throw new Error('dist/esm/index.js is missing: run `npm run build`');
      const { Machine, Command } = (await import(DIST.href)) as Machine;
      const { reconnectable, ...rest } = options;
      const machineOptions = { retryDelay: 0, minUptime: 50, ...rest } as MachineOptions;
      return (url, h) => {
        const m = new Machine(url, machineOptions);
        m.state$.subscribe((s) => {
          if (s.state === 'CONNECTED') h.open();
        });
        m.input$.subscribe(h.message);
        const client: Client = { send: (d) => m.output.next(d), close: () => m.command.next(Command.QUIT) };
        if (reconnectable === true) client.reconnect = () => m.command.next(Command.RECONNECT);
        return client;
      };
    }
    case 'ws': {
      const manual = options.manual === true;
      return (url, h) => {
        let closed = false;
        let socket: InstanceType<typeof WS>;
        const connect = () => {
          socket = new WS(url);
          socket.on('open', h.open);
          socket.on('message', h.message);
          socket.on('error', () => undefined);
          socket.on('close', () => {
            if (!closed && !manual) connect();
          });
        };
        connect();
        const client: Client = {
          send: (d) => socket.send(d),
          close: () => {
            closed = true;
            socket.close();
          },
        };
        if (manual) {
          client.reconnect = () => {
            socket.terminate();
            connect();
          };
        }
        return client;
      };
    }
    case 'ws-keepalive': {
      const pingInterval = Number(options.pingInterval ?? 30_000);
      const pongTimeout = Number(options.pongTimeout ?? 10_000);
      return (url, h) => {
        let closed = false;
        let socket: InstanceType<typeof WS>;
        let timer: NodeJS.Timeout | undefined;
        let last = 0;
        let awaiting = false;
        // Silence is read from a timestamp when the timer fires, so a frame costs no timer call.
        const check = () => {
          if (awaiting) {
            socket.terminate();
            return;
          }
          const idle = Date.now() - last;
          if (idle >= pingInterval) {
            awaiting = true;
            socket.ping();
            timer = setTimeout(check, pongTimeout);
          } else timer = setTimeout(check, pingInterval - idle);
        };
        const alive = () => {
          last = Date.now();
          if (!awaiting) return;
          awaiting = false;
          clearTimeout(timer);
          timer = setTimeout(check, pingInterval);
        };
        const connect = () => {
          socket = new WS(url);
          socket.on('open', () => {
            last = Date.now();
            timer = setTimeout(check, pingInterval);
            h.open();
          });
          socket.on('message', (data) => {
            alive();
            h.message(data);
          });
          socket.on('pong', alive);
          socket.on('error', () => undefined);
          socket.on('close', () => {
            clearTimeout(timer);
            awaiting = false;
            if (!closed) connect();
          });
        };
        connect();
        return {
          send: (d) => socket.send(d),
          close: () => {
            closed = true;
            socket.close();
          },
        };
      };
    }
    case 'rxjs': {
      const { webSocket } = await import('rxjs/webSocket');
      const { retry, repeat } = await import('rxjs');
      return (url, h) => {
        const subject = webSocket<unknown>({
          url,
          WebSocketCtor: WS as unknown as typeof globalThis.WebSocket,
          binaryType: 'nodebuffer' as BinaryType,
          serializer: (v) => v as Uint8Array,
          deserializer: (e): unknown => e.data,
          openObserver: { next: () => h.open() },
        });
        // The subject completes on a clean close and errors on an unclean one: both reconnect.
        const sub = subject.pipe(retry(), repeat()).subscribe(h.message);
        return { send: (d) => subject.next(d), close: () => sub.unsubscribe() };
      };
    }
    case 'partysocket':
    case 'reconnecting-websocket': {
      interface Rws {
        binaryType: string;
        addEventListener(type: string, listener: (e: { data?: unknown }) => void): void;
        send(d: Uint8Array): void;
        close(): void;
      }
      type RwsClass = new (url: string, protocols: undefined, options: Record<string, unknown>) => Rws;
      const RWS =
        lib === 'partysocket'
          ? (interop(await import('partysocket/ws')) as RwsClass)
          : (interop(await import('reconnecting-websocket')) as RwsClass);
      return (url, h) => {
        const s = new RWS(url, undefined, { WebSocket: WS, minReconnectionDelay: 0, minUptime: Number(options.minUptime ?? 50) });
        s.binaryType = 'nodebuffer';
        s.addEventListener('open', () => h.open());
        s.addEventListener('message', (e) => h.message(e.data));
        return { send: (d) => s.send(d), close: () => s.close() };
      };
    }
    case 'rxjs-websockets': {
      type Make = typeof import('rxjs-websockets').default;
      const make = interop(await import('rxjs-websockets')) as Make;
      const { Subject, switchMap, retry, repeat } = await import('rxjs');
      return (url, h) => {
        const input = new Subject<Uint8Array>();
        const socket$ = make(url, {
          protocols: [],
          makeWebSocket: (u, p) => {
            const w = new WS(u, p);
            w.binaryType = 'nodebuffer';
            return w;
          },
        });
        const sub = socket$
          .pipe(
            switchMap((getResponses) => {
              h.open();
              return getResponses(input as unknown as Parameters<typeof getResponses>[0]);
            }),
            retry(),
            repeat(),
          )
          .subscribe(h.message);
        return { send: (d) => input.next(d), close: () => sub.unsubscribe() };
      };
    }
    case 'websocket-ts': {
      (globalThis as { WebSocket?: unknown }).WebSocket = WS;
      const { WebsocketBuilder, ConstantBackoff } = await import('websocket-ts');
      return (url, h) => {
        const s = new WebsocketBuilder(url)
          .withBackoff(new ConstantBackoff(0))
          .onOpen(() => h.open())
          .onMessage((_i, e) => h.message(e.data))
          .build();
        return { send: (d) => s.send(d), close: () => s.close() };
      };
    }
  }
}
