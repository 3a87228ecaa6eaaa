import type { ClientRequest, IncomingMessage } from 'node:http';
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
 * Opens a socket with `ws` through its own EventEmitter API: the fastest path, and the only one
 * with protocol pings, headers, TLS settings, a payload limit and redirect control.
 */
export function openWs(config: Config, request: OpenRequest, sink: Sink): Transport {
  const Ws = config.WebSocket as unknown as typeof WebSocket;
  const ws = new Ws(request.url, request.protocols ?? [], {
    ...config.tls,
    headers: request.headers,
    maxPayload: config.maxMessageSize === Infinity ? 0 : config.maxMessageSize,
    followRedirects: config.followRedirects,
  });
  let opened = false;
  let done = false;

  const onOpen = (): void => {
    opened = true;
    socket?.on('data', onActivity);
    sink.open(ws.protocol);
  };
  const onMessage = (data: Buffer, isBinary: boolean): void => {
    sink.message(isBinary ? data : data.toString());
  };
  // Stamped per network chunk rather than per message: every frame in a chunk arrived with it,
  // and one clock read per chunk instead of per message keeps the stream path as fast as ws.
  const onActivity = (): void => sink.activity();
  let socket: IncomingMessage['socket'] | undefined;
  const onUpgrade = (response: IncomingMessage): void => {
    socket = response.socket; // listened to on open: a 'data' listener now would start the flow before ws reads it
  };
  const onClose = (code: number, reason: Buffer): void => {
    const text = reason.toString();
    finish(
      opened
        ? new CloseError(`connection closed (code ${code}${text ? `: ${text}` : ''})`, { code, reason: text })
        : new ConnectError(`connection to ${redactUrl(request.url)} closed before it opened (code ${code})`, { code, reason: text }),
    );
  };
  const onError = (error: Error & { code?: string }): void => {
    if (!opened) {
      finish(new ConnectError(`could not connect to ${redactUrl(request.url)}: ${error.message}`, { cause: error, code: 1006 }));
    } else if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
      finish(new CloseError(`a message was larger than maxMessageSize (${config.maxMessageSize} bytes)`, { cause: error, code: 1009 }));
    } else {
      finish(new CloseError(`connection failed: ${error.message}`, { cause: error, code: 1006 }));
    }
  };
  const onUnexpectedResponse = (_req: ClientRequest, res: IncomingMessage): void => {
    const status = res.statusCode ?? 0;
    res.resume(); // drain the body so the socket can be released
    finish(new UpgradeError(`server refused the WebSocket upgrade of ${redactUrl(request.url)} with HTTP ${status}`, { status, code: 1006 }));
  };

  // With a 'redirect' listener ws leaves the request's headers alone, so the rules are ours:
  // never down from TLS to plain text; nothing we were given goes to another host.
  const onRedirect = (location: string, req: ClientRequest): void => {
    const from = new URL(request.url);
    const to = new URL(location);
    if (isSecure(from) && !isSecure(to)) {
      finish(new UpgradeError(`refused a redirect from ${redactUrl(request.url)} down to unencrypted ${redactUrl(location)}`, { code: 1006 }));
      return;
    }
    if (to.host !== from.host) {
      for (const name of [...Object.keys(request.headers ?? {}), 'authorization', 'cookie']) req.removeHeader(name);
    }
  };

  function detach(): void {
    ws.off('open', onOpen);
    ws.off('message', onMessage);
    ws.off('upgrade', onUpgrade);
    socket?.off('data', onActivity);
    ws.off('close', onClose);
    ws.off('error', onError);
    ws.off('unexpected-response', onUnexpectedResponse);
    ws.off('redirect', onRedirect);
    // ws emits 'error' while aborting; an EventEmitter without an 'error' listener would throw.
    ws.on('error', noop);
  }

  function finish(error: Error): void {
    if (done) return;
    done = true;
    detach();
    if (ws.readyState !== CLOSED) ws.terminate();
    sink.fail(error);
  }

  ws.on('open', onOpen);
  ws.on('message', onMessage);
  ws.on('upgrade', onUpgrade);
  ws.on('close', onClose);
  ws.on('error', onError);
  ws.on('unexpected-response', onUnexpectedResponse);
  if (config.followRedirects) ws.on('redirect', onRedirect);

  return {
    send(message, binary) {
      if (ws.readyState !== OPEN) return false;
      ws.send(message, binary ? BINARY : TEXT);
      return true;
    },
    ping() {
      if (ws.readyState === OPEN) ws.ping();
      return true;
    },
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
    close(code) {
      if (!done) {
        done = true;
        detach();
      }
      if (code !== undefined && ws.readyState === OPEN) ws.close(code);
      else if (ws.readyState !== CLOSED) ws.terminate();
    },
  };
}
