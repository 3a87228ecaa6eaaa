import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type WebSocket from 'ws';
import { CloseError, ConnectError, UpgradeError } from './errors.js';
import type { Config } from './options.js';
import { redactUrl } from './redact.js';
import type { OpenRequest, Sink, Transport } from './transport.js';

const OPEN = 1;
const CLOSED = 3;
// ws copies its options object per send anyway; sharing these saves one allocation per message.
const BINARY = { binary: true } as const;
const TEXT = { binary: false } as const;
const noop = (): void => {};
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
  transportOf(this).sink.message(isBinary ? data : data.toString());
}
function onClose(this: WebSocket, code: number, reason: Buffer): void {
  transportOf(this).closed(code, reason.toString());
}
function onError(this: WebSocket, error: Error & { code?: string }): void {
  transportOf(this).errored(error);
}
function onUpgrade(this: WebSocket, response: IncomingMessage): void {
  // Listened to on open: a 'data' listener now would start the flow before ws reads it.
  // Bun's built-in ws hands over no socket (null): then ws's own events stand in for the data.
  transportOf(this).socket = (response.socket as Tagged<Socket> | null) ?? undefined;
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
// Where ws is a compatibility layer with no raw socket (Bun), every frame ws reports is activity.
function onFrame(this: WebSocket): void {
  transportOf(this).sink.activity();
}
const FRAME_EVENTS = ['message', 'ping', 'pong'] as const;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each listener has its own event's signature
const LISTENERS: readonly (readonly [string, (this: WebSocket, ...args: any[]) => void])[] = [
  ['open', onOpen],
  ['message', onMessage],
  ['close', onClose],
  ['error', onError],
  ['upgrade', onUpgrade],
  ['unexpected-response', onUnexpectedResponse],
];

class WsTransport implements Transport {
  socket: Tagged<Socket> | undefined;
  private isOpen = false;
  private done = false;

  constructor(
    private readonly ws: Tagged<WebSocket>,
    readonly sink: Sink,
    private readonly config: Config,
    private readonly request: OpenRequest,
  ) {
    ws[kTransport] = this;
    for (const [event, listener] of LISTENERS) ws.on(event, listener);
    if (config.followRedirects) ws.on('redirect', onRedirect);
  }

  opened(): void {
    this.isOpen = true;
    if (this.socket !== undefined) {
      this.socket[kTransport] = this;
      this.socket.on('data', onData);
    } else {
      for (const event of FRAME_EVENTS) this.ws.on(event, onFrame);
    }
    this.sink.open(this.ws.protocol);
  }

  closed(code: number, reason: string): void {
    this.finish(
      this.isOpen
        ? new CloseError(`connection closed (code ${code}${reason ? `: ${reason}` : ''})`, { code, reason })
        : new ConnectError(`connection to ${redactUrl(this.request.url)} closed before it opened (code ${code})`, { code, reason }),
    );
  }

  errored(error: Error & { code?: string }): void {
    if (!this.isOpen) {
      this.finish(new ConnectError(`could not connect to ${redactUrl(this.request.url)}: ${error.message}`, { cause: error, code: 1006 }));
    } else if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
      this.finish(new CloseError(`a message was larger than maxMessageSize (${this.config.maxMessageSize} bytes)`, { cause: error, code: 1009 }));
    } else {
      this.finish(new CloseError(`connection failed: ${error.message}`, { cause: error, code: 1006 }));
    }
  }

  refused(status: number): void {
    this.finish(new UpgradeError(`server refused the WebSocket upgrade of ${redactUrl(this.request.url)} with HTTP ${status}`, { status, code: 1006 }));
  }

  /**
   * With a 'redirect' listener ws leaves the request's headers alone, so the rules are ours:
   * never down from TLS to plain text; nothing we were given goes to another host.
   */
  redirected(location: string, req: ClientRequest): void {
    const from = new URL(this.request.url);
    const to = new URL(location);
    if (isSecure(from) && !isSecure(to)) {
      this.finish(new UpgradeError(`refused a redirect from ${redactUrl(this.request.url)} down to unencrypted ${redactUrl(location)}`, { code: 1006 }));
      return;
    }
    if (to.host !== from.host) {
      for (const name of [...Object.keys(this.request.headers ?? {}), 'authorization', 'cookie']) req.removeHeader(name);
    }
  }

  send(message: string | Uint8Array, binary: boolean): boolean {
    const ws = this.ws;
    if (ws.readyState !== OPEN) return false;
    ws.send(message, binary ? BINARY : TEXT);
    return true;
  }

  ping(): boolean {
    if (this.ws.readyState === OPEN) this.ws.ping();
    return true;
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  close(code?: number): void {
    if (!this.done) {
      this.done = true;
      this.detach();
    }
    const ws = this.ws;
    if (code !== undefined && ws.readyState === OPEN) ws.close(code);
    else if (ws.readyState !== CLOSED) ws.terminate();
  }

  private finish(error: Error): void {
    if (this.done) return;
    this.done = true;
    this.detach();
    if (this.ws.readyState !== CLOSED) this.ws.terminate();
    this.sink.fail(error);
  }

  private detach(): void {
    const ws = this.ws;
    for (const [event, listener] of LISTENERS) ws.off(event, listener);
    ws.off('redirect', onRedirect);
    this.socket?.off('data', onData);
    for (const event of FRAME_EVENTS) ws.off(event, onFrame);
    // ws emits 'error' while aborting; an EventEmitter without an 'error' listener would throw.
    ws.on('error', noop);
  }
}

/**
 * Opens a socket with `ws` through its own EventEmitter API: the fastest path, and the only one
 * with protocol pings, headers, TLS settings, a payload limit and redirect control.
 */
export function openWs(config: Config, request: OpenRequest, sink: Sink): Transport {
  const Ws = config.WebSocket as unknown as typeof WebSocket;
  // Only what differs from ws's defaults: ws keeps these options for the connection's life.
  const options: WebSocket.ClientOptions = { ...(config.tls as WebSocket.ClientOptions), maxPayload: config.maxMessageSize === Infinity ? 0 : config.maxMessageSize };
  if (request.headers !== undefined) options.headers = request.headers;
  if (config.followRedirects) options.followRedirects = true;
  if (config.agent !== undefined) options.agent = config.agent as WebSocket.ClientOptions['agent'];
  if (!config.compress) options.perMessageDeflate = false;
  const ws = new Ws(request.url, request.protocols ?? [], options) as Tagged<WebSocket>;
  return new WsTransport(ws, sink, config, request);
}
