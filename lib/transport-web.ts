import { CloseError, ConnectError, UpgradeError } from './errors.js';
import { asBytes, asText, sizeOf, toMessage } from './message.js';
import type { Config, WebSocketLike } from './options.js';
import { redactUrl } from './redact.js';
import type { OpenRequest, Sink, Transport } from './transport.js';
import type { Message } from './types.js';

const OPEN = 1;
const CLOSED = 3;
const noop = (): void => {};

/**
 * Opens a socket through the standard (WHATWG) WebSocket API: a browser's WebSocket, or any
 * constructor given as the `WebSocket` option. That API has no pings, headers or payload limit, so
 * keep-alive uses the heartbeat message and the size limit is checked here.
 */
export function openWeb(config: Config, request: OpenRequest, sink: Sink): Transport {
  const Ctor = config.WebSocket;
  const tls = config.tls;
  const nodeOptions =
    request.headers !== undefined || tls !== undefined || config.agent !== undefined || !config.compress
      ? { ...tls, headers: request.headers, agent: config.agent, ...(config.compress ? {} : { perMessageDeflate: false }) }
      : undefined;
  // A browser offers a sub-protocol named "undefined" when passed `undefined`: pass only what is set.
  const ws: WebSocketLike =
    nodeOptions !== undefined
      ? new Ctor(request.url, request.protocols ?? [], nodeOptions)
      : request.protocols !== undefined
        ? new Ctor(request.url, request.protocols)
        : new Ctor(request.url);
  ws.binaryType = 'arraybuffer';
  let opened = false;
  let done = false;
  let failure: unknown;

  const onOpen = (): void => {
    opened = true;
    sink.open(ws.protocol ?? '');
  };
  const onMessage = (event: { data: unknown }): void => {
    const data = event.data;
    let message: Message;
    if (typeof data === 'string') message = data;
    else if (data instanceof ArrayBuffer) message = new Uint8Array(data);
    else {
      try {
        message = toMessage(data); // another realm's ArrayBuffer, or a view
      } catch {
        // A Blob would need an asynchronous read, which would reorder messages: refuse it loudly.
        finish(new CloseError("a binary message arrived in a form that cannot be read at once: the WebSocket must honour binaryType 'arraybuffer'", { code: 1003 }), 1003);
        return;
      }
    }
    if (sizeOf(message) > config.maxMessageSize) {
      finish(new CloseError(`a message was larger than maxMessageSize (${config.maxMessageSize} bytes)`, { code: 1009 }), 1009);
      return;
    }
    sink.activity();
    sink.message(message);
  };
  // The standard API says nothing in its error event; the close event that follows has the code.
  // A DOM error event says nothing and holds the socket (and its URL): keep only a real error.
  const onError = (event: unknown): void => {
    failure = (event as { error?: unknown }).error;
  };
  const onClose = (event: { code?: number; reason?: string }): void => {
    const code = event.code ?? 1006;
    const reason = event.reason ?? '';
    const cause = failure;
    if (opened) {
      finish(new CloseError(`connection closed (code ${code}${reason ? `: ${reason}` : ''})`, { code, reason, cause }));
      return;
    }
    // Browsers hide a refused upgrade's HTTP status; `ws` behind this API names it in its error.
    const status = /Unexpected server response: (\d{3})/.exec(String((cause as { message?: unknown } | undefined)?.message))?.[1];
    finish(
      status === undefined
        ? new ConnectError(`could not connect to ${redactUrl(request.url)} (code ${code})`, { code, reason, cause })
        : new UpgradeError(`server refused the WebSocket upgrade of ${redactUrl(request.url)} with HTTP ${status}`, { code, cause, status: Number(status) }),
    );
  };

  function detach(): void {
    ws.removeEventListener('open', onOpen);
    ws.removeEventListener('message', onMessage);
    ws.removeEventListener('close', onClose);
    ws.removeEventListener('error', onError);
    // `ws` behind this API is an EventEmitter: an 'error' without a listener would throw.
    ws.addEventListener('error', noop);
  }

  function release(code?: number): void {
    if (ws.readyState === CLOSED) return;
    const terminate = (ws as { terminate?: () => void }).terminate;
    try {
      if (code === undefined && typeof terminate === 'function') terminate.call(ws);
      // A page may only send 1000 or 3000–4999: protocol codes such as 1009 go out as 1000 (the
      // local error keeps the real one).
      else if (code !== undefined && ws.readyState === OPEN) ws.close(code === 1000 || (code >= 3000 && code <= 4999) ? code : 1000);
      else ws.close();
    } catch {
      // A socket that refuses to close is one we no longer listen to: nothing more to do.
    }
  }

  function finish(error: Error, code?: number): void {
    if (done) return;
    done = true;
    detach();
    release(code);
    sink.fail(error);
  }

  ws.addEventListener('open', onOpen);
  ws.addEventListener('message', onMessage);
  ws.addEventListener('close', onClose);
  ws.addEventListener('error', onError);

  return {
    send(message, binary) {
      if (ws.readyState !== OPEN) return false;
      ws.send(binary ? asBytes(message) : asText(message));
      return true;
    },
    ping: () => false,
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
    close(code) {
      if (!done) {
        done = true;
        detach();
      }
      release(code);
    },
  };
}
