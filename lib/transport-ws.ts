import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { nextTick } from 'node:process';
import type WebSocket from 'ws';
import type { Config } from './config.js';
import { CloseError, closedError, connectError, refusedError, tooLargeError, UpgradeError, type MachineError } from './errors.js';
import { ReadyState, type OpenRequest, type Sink, type Transport } from './transport.js';
import { redactUrl } from './url.js';

const { OPEN, CLOSED } = ReadyState;
// ws copies its options object per send anyway; sharing these saves one allocation per message.
const BINARY = { binary: true } as const;
const TEXT = { binary: false } as const;
function ignore(): void {
  // Nothing to do: ws emits 'error' while aborting, and an EventEmitter must have a listener.
}
const isSecure = (url: URL): boolean => url.protocol === 'wss:' || url.protocol === 'https:';

/**
 * The listeners are shared by every connection and find their transport through this key on the
 * socket (as ws itself does), so a connection costs one object instead of a dozen closures: it
 * matters with ten thousand machines in one process.
 */
const kTransport = Symbol('ws-machine.transport');
type Tagged<T> = T & { [kTransport]: WsTransport };
const transportOf = (emitter: object): WsTransport => (emitter as Tagged<object>)[kTransport];

function onOpen(this: WebSocket): void {
  transportOf(this).opened();
}
function onMessage(this: WebSocket, data: Buffer, isBinary: boolean): void {
  const transport = transportOf(this);
  // Without a raw socket to watch (Bun's ws layer has none), each message is the activity.
  if (transport.socket === undefined) transport.sink.activity();
  transport.sink.message(isBinary ? data : data.toString(), data.length);
}
function onPong(this: WebSocket): void {
  transportOf(this).sink.pong();
}
function onClose(this: WebSocket, code: number, reason: Buffer): void {
  transportOf(this).closed(code, reason.toString());
}
function onError(this: WebSocket, error: Error & { code?: string }): void {
  transportOf(this).errored(error);
}
function onUnexpectedResponse(this: WebSocket, _req: ClientRequest, res: IncomingMessage): void {
  res.resume(); // drain the body so the socket can be released
  transportOf(this).refused(res.statusCode ?? 0);
}
function onRedirect(this: WebSocket, location: string, req: ClientRequest): void {
  transportOf(this).redirected(location, req);
}
// Activity is stamped per network chunk rather than per message: every frame in a chunk arrived
// with it, and one clock read per chunk instead of per message keeps the stream path as fast as ws.
function onData(this: Socket): void {
  transportOf(this).sink.activity();
}
function endTick(transport: WsTransport): void {
  transport.endTick();
}

/** Corked sends go to the kernel once this many bytes wait in the socket, not only at the tick's end. */
export const CORK_LIMIT = 64 * 1024;

/**
 * Where a connection is in the writes of the current tick (see `WsTransport.send`): no send yet;
 * one sent at once; later ones held (the socket is corked) until the tick ends. DIRECT: no raw
 * socket to cork (before it opens, or Bun's ws layer), so every send goes straight to ws.
 */
const IDLE = 0;
const SENT = 1;
const CORKED = 2;
const DIRECT = 3;
type Batch = typeof IDLE | typeof SENT | typeof CORKED | typeof DIRECT;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each listener has its own event's signature
type Listener = (this: WebSocket, ...args: any[]) => void;

// The socket's listeners until it opens, as flat pairs of event and listener. ws keeps them in a
// dictionary-mode object, whose table doubles past five entries (192 bytes a connection):
// 'unexpected-response' goes when the socket opens, before 'pong' comes, so there are never more
// than five.
const LISTENERS: readonly (string | Listener)[] = [
  'open',
  onOpen,
  'message',
  onMessage,
  'close',
  onClose,
  'error',
  onError,
  'unexpected-response',
  onUnexpectedResponse,
];

class WsTransport implements Transport {
  socket: Tagged<Socket> | undefined;
  private batch: Batch = DIRECT;
  private phase: 'opening' | 'open' | 'done' = 'opening';

  constructor(
    private readonly ws: Tagged<WebSocket>,
    readonly sink: Sink,
    private readonly config: Config,
    private readonly url: string,
    /** Sent with the upgrade; kept to be taken off a redirect to another host. */
    private readonly headers: Readonly<Record<string, string>> | undefined,
  ) {
    ws[kTransport] = this;
    // Indexed, with no destructuring: an iterator and a result per listener would be garbage that
    // every connection makes while it opens.
    for (let i = 0; i < LISTENERS.length; i += 2) ws.on(LISTENERS[i] as string, LISTENERS[i + 1] as Listener);
    if (config.followRedirects) ws.on('redirect', onRedirect);
  }

  opened(): void {
    this.phase = 'open';
    const ws = this.ws;
    ws.off('unexpected-response', onUnexpectedResponse);
    ws.on('pong', onPong);
    // The raw socket is watched from here on, not from the upgrade: a 'data' listener then would
    // start the flow before ws reads it. A runtime whose ws is a compatibility layer (Bun) has no
    // socket there: its messages and pongs count as activity instead.
    const socket = (ws as unknown as { _socket?: Tagged<Socket> | null })._socket;
    if (socket !== null && socket !== undefined && typeof socket.on === 'function') {
      this.socket = socket;
      socket[kTransport] = this;
      socket.on('data', onData);
      if (typeof socket.cork === 'function') this.batch = IDLE;
    }
    this.sink.open(ws.protocol);
  }

  closed(code: number, reason: string): void {
    this.finish(
      this.phase === 'open'
        ? closedError(code, reason)
        : connectError(this.url, `closed before it opened (code ${code})`, { code, reason }),
    );
  }

  errored(error: Error & { code?: string }): void {
    if (this.phase !== 'open') {
      this.finish(connectError(this.url, error.message, { cause: error, code: 1006 }));
    } else if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
      this.finish(tooLargeError(this.config.maxMessageSize, error));
    } else {
      this.finish(new CloseError(`connection failed: ${error.message}`, { cause: error, code: 1006 }));
    }
  }

  refused(status: number): void {
    this.finish(refusedError(this.url, status, { code: 1006 }));
  }

  /**
   * With a 'redirect' listener ws leaves the request's headers alone, so the rules are ours:
   * never down from TLS to plain text; nothing we were given goes to another host.
   */
  redirected(location: string, req: ClientRequest): void {
    const from = new URL(this.url);
    const to = new URL(location);
    if (isSecure(from) && !isSecure(to)) {
      this.finish(
        new UpgradeError(`refused a redirect from ${redactUrl(this.url)} down to unencrypted ${redactUrl(location)}`, {
          code: 1006,
        }),
      );
      return;
    }
    if (to.host !== from.host) {
      for (const name of [...Object.keys(this.headers ?? {}), 'authorization', 'cookie']) req.removeHeader(name);
    }
  }

  /**
   * Sends in one tick share the kernel's writes. The first goes out at once, so a lone message
   * (a reply, a request) waits for nothing. Those after it in the same tick are held in the
   * corked socket and go out together when the tick ends, or as soon as CORK_LIMIT bytes wait: a
   * burst of small messages then costs a write per 64 KiB instead of one per message, which on a
   * fast link is most of what a send costs. Each message is still its own frame, in order.
   */
  send(message: string | Uint8Array, binary: boolean): number {
    const ws = this.ws;
    if (ws.readyState !== OPEN) return -1;
    const options = binary ? BINARY : TEXT;
    const batch = this.batch;
    if (batch === DIRECT) {
      ws.send(message, options);
    } else if (batch === IDLE) {
      this.batch = SENT;
      // Ends the tick's batch: after this tick's code, before any I/O. One per tick with sends.
      nextTick(endTick, this);
      ws.send(message, options);
    } else {
      const socket = this.socket as Socket;
      if (batch === SENT) {
        socket.cork();
        this.batch = CORKED;
      }
      ws.send(message, options);
      // Also true while the kernel is behind and Node already holds that much: then each send joins
      // Node's own buffer, which goes out in one write when the kernel has room, as without a cork.
      if (socket.writableLength >= CORK_LIMIT) this.uncork(SENT);
    }
    return typeof message === 'string' ? Buffer.byteLength(message) : message.byteLength;
  }

  /** @internal the tick with sends is over: what it held goes to the kernel. */
  endTick(): void {
    this.uncork(IDLE);
  }

  /** Lets held sends go, if any; `next`: what the rest of the tick's sends do. */
  private uncork(next: Batch): void {
    const corked = this.batch === CORKED;
    this.batch = next;
    if (corked) this.socket?.uncork();
  }

  ping(): boolean {
    if (this.ws.readyState === OPEN) this.ws.ping();
    return true;
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  close(code?: number): void {
    // What this tick held goes before the close frame, or to the kernel before an abort: a message
    // handed over before RECONNECT or QUIT must not die in the cork.
    if (this.batch === CORKED) this.uncork(SENT);
    if (this.phase !== 'done') {
      this.phase = 'done';
      this.detach();
    }
    const ws = this.ws;
    if (code !== undefined && ws.readyState === OPEN) ws.close(code);
    else if (ws.readyState !== CLOSED) ws.terminate();
  }

  private finish(error: MachineError): void {
    if (this.phase === 'done') return;
    this.phase = 'done';
    // A socket ws reports closed emits nothing more, and the one under it is gone: nothing to take
    // the listeners off or to abort, which would be a dozen calls on the way to the next attempt.
    if (this.ws.readyState !== CLOSED) {
      this.detach();
      this.ws.terminate();
    }
    this.sink.fail(error);
  }

  private detach(): void {
    const ws = this.ws;
    for (let i = 0; i < LISTENERS.length; i += 2) ws.off(LISTENERS[i] as string, LISTENERS[i + 1] as Listener);
    ws.off('pong', onPong);
    ws.off('redirect', onRedirect);
    this.socket?.off('data', onData);
    // ws emits 'error' while aborting; an EventEmitter without an 'error' listener would throw.
    ws.on('error', ignore);
  }
}

/**
 * Opens a socket with `ws` through its own EventEmitter API: the fastest path, and the only one
 * with protocol pings, headers, TLS settings, a payload limit and redirect control.
 */
export function openWs(config: Config, request: OpenRequest, sink: Sink): Transport {
  const Ws = config.WebSocket as unknown as typeof WebSocket;
  // Only what differs from ws's defaults: ws keeps these options for the connection's life.
  const options: WebSocket.ClientOptions = {
    ...(config.tls as WebSocket.ClientOptions),
    maxPayload: config.maxMessageSize === Infinity ? 0 : config.maxMessageSize,
  };
  if (request.headers !== undefined) options.headers = request.headers;
  if (config.followRedirects) options.followRedirects = true;
  if (config.agent !== undefined) options.agent = config.agent as WebSocket.ClientOptions['agent'];
  if (!config.compress) options.perMessageDeflate = false;
  const ws = new Ws(request.url, request.protocols ?? [], options) as Tagged<WebSocket>;
  return new WsTransport(ws, sink, config, request.url, request.headers);
}
