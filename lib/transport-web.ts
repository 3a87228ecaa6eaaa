import type { Config } from './config.js';
import { CloseError, closedError, connectError, refusedError, tooLargeError, type MachineError } from './errors.js';
import { asBytes, asText, toMessage } from './message.js';
import { byteSize } from './stats.js';
import { ReadyState, type OpenRequest, type Sink, type Transport, type WebSocketLike } from './transport.js';
import type { Message } from './types.js';

const { OPEN, CLOSED } = ReadyState;
function ignore(): void {
  // Nothing to do: this listener exists so that an EventEmitter has one for 'error'.
}

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
        finish(
          new CloseError(
            "a binary message arrived in a form that cannot be read at once: the WebSocket must honour binaryType 'arraybuffer'",
            { code: 1003 },
          ),
          1003,
        );
        return;
      }
    }
    const bytes = byteSize(message);
    if (bytes > config.maxMessageSize) {
      finish(tooLargeError(config.maxMessageSize), 1009);
      return;
    }
    sink.activity();
    sink.message(message, bytes);
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
      finish(closedError(code, reason, cause));
      return;
    }
    // Browsers hide a refused upgrade's HTTP status; `ws` behind this API names it in its error.
    const status = /Unexpected server response: (\d{3})/.exec(String((cause as { message?: unknown } | undefined)?.message))?.[1];
    const detail = (cause as { message?: unknown } | undefined)?.message;
    finish(
      status === undefined
        ? connectError(request.url, typeof detail === 'string' && detail !== '' ? `${detail} (code ${code})` : `code ${code}`, {
            code,
            reason,
            cause,
          })
        : refusedError(request.url, Number(status), { code, cause }),
    );
  };

  function detach(): void {
    ws.removeEventListener('open', onOpen);
    ws.removeEventListener('message', onMessage);
    ws.removeEventListener('close', onClose);
    ws.removeEventListener('error', onError);
    // `ws` behind this API is an EventEmitter: an 'error' without a listener would throw.
    ws.addEventListener('error', ignore);
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

  function finish(error: MachineError, code?: number): void {
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
      if (ws.readyState !== OPEN) return -1;
      const frame = binary ? asBytes(message) : asText(message);
      // The standard API types bytes as ArrayBuffer-backed; a SharedArrayBuffer view is the caller's to answer for.
      ws.send(frame as string | Uint8Array<ArrayBuffer>);
      return byteSize(frame);
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
