import { config } from 'rxjs';
import type { Message } from './types.js';
import { redactUrl } from './url.js';

/**
 * What every runtime error of a machine can tell: the close `code` and `reason` when the socket
 * closed, and the HTTP `status` when the server refused the upgrade (Node only: a browser hides it).
 * Errors reach users as `Status.error`, never as a thrown or errored stream.
 *
 * @example
 * ```ts
 * new Machine(url, { shouldReconnect: (e) => !(e instanceof MachineError && e.status === 401) });
 * ```
 */
export class MachineError extends Error {
  /** The class name, for logs and `switch`es that cannot use `instanceof`. */
  override readonly name: string = 'MachineError';
  /** The WebSocket close code, when the socket closed (1006: closed without a close frame). */
  readonly code?: number;
  /** The close reason the peer gave, when the socket closed. */
  readonly reason?: string;
  /** The HTTP status of a refused upgrade (Node only). */
  readonly status?: number;

  constructor(message: string, details: { cause?: unknown; code?: number; reason?: string; status?: number } = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    if (details.code !== undefined) this.code = details.code;
    if (details.reason !== undefined) this.reason = details.reason;
    if (details.status !== undefined) this.status = details.status;
  }
}

/**
 * An attempt failed before the socket opened: refused, unreachable, DNS failure, a URL or headers
 * provider that threw, or a socket constructor that threw. `cause` holds the underlying error.
 *
 * @example
 * ```ts
 * machine.state$.subscribe((s) => s.error instanceof ConnectError && console.warn('cannot reach server', s.error.cause));
 * ```
 */
export class ConnectError extends MachineError {
  /** The class name, for logs and `switch`es that cannot use `instanceof`. */
  override readonly name = 'ConnectError' as const;
}

/**
 * The server answered the upgrade request with an HTTP error (`status`, on Node).
 *
 * @example
 * ```ts
 * new Machine(url, { shouldReconnect: (e) => !(e instanceof UpgradeError && e.status === 401) });
 * ```
 */
export class UpgradeError extends MachineError {
  /** The class name, for logs and `switch`es that cannot use `instanceof`. */
  override readonly name = 'UpgradeError' as const;
}

/**
 * The attempt did not reach `CONNECTED` (opening handshake plus the `handshake` option) within
 * `connectTimeout` ms.
 *
 * @example
 * ```ts
 * machine.state$.subscribe((s) => s.error instanceof ConnectTimeoutError && console.warn(s.error.timeout));
 * ```
 */
export class ConnectTimeoutError extends MachineError {
  /** The class name, for logs and `switch`es that cannot use `instanceof`. */
  override readonly name = 'ConnectTimeoutError' as const;
  /** The `connectTimeout` that ran out, in ms. */
  readonly timeout: number;
  constructor(timeout: number) {
    super(`connection not established within connectTimeout (${timeout} ms)`);
    this.timeout = timeout;
  }
}

/**
 * The `handshake` option's function failed (threw, rejected or errored); `cause` holds why.
 *
 * @example
 * ```ts
 * machine.state$.subscribe((s) => s.error instanceof HandshakeError && console.warn('auth failed', s.error.cause));
 * ```
 */
export class HandshakeError extends MachineError {
  /** The class name, for logs and `switch`es that cannot use `instanceof`. */
  override readonly name = 'HandshakeError' as const;
}

/**
 * An open connection closed or broke: the server closed it, the network died, the socket errored,
 * or a message went over `maxMessageSize` (code 1009). `code` and `reason` say how.
 *
 * @example
 * ```ts
 * new Machine(url, { shouldReconnect: (e) => !(e instanceof CloseError && e.code === 4001) });
 * ```
 */
export class CloseError extends MachineError {
  /** The class name, for logs and `switch`es that cannot use `instanceof`. */
  override readonly name = 'CloseError' as const;
}

/**
 * Keep-alive failed: nothing arrived within `pongTimeout` ms of a ping (or heartbeat).
 *
 * @example
 * ```ts
 * machine.state$.subscribe((s) => s.error instanceof PongTimeoutError && console.warn('connection went silent'));
 * ```
 */
export class PongTimeoutError extends MachineError {
  /** The class name, for logs and `switch`es that cannot use `instanceof`. */
  override readonly name = 'PongTimeoutError' as const;
}

/**
 * The connection was dropped because `Command.RECONNECT` asked for it.
 *
 * @example
 * ```ts
 * machine.command.next(Command.RECONNECT); // state$: DISCONNECTED(ReconnectError) → CONNECTING → CONNECTED
 * ```
 */
export class ReconnectError extends MachineError {
  /** The class name, for logs and `switch`es that cannot use `instanceof`. */
  override readonly name = 'ReconnectError' as const;
}

/**
 * A received message that the codec's `decode` rejected. It is not emitted on `input$`; this error
 * goes to `errors$` and the machine goes on.
 *
 * @example
 * ```ts
 * import { DecodeError, Machine, json } from 'ws-machine';
 * const machine = new Machine('ws://127.0.0.1:8080/', { codec: json() });
 * machine.errors$.subscribe((e) => e instanceof DecodeError && console.warn('bad message', e.data, e.cause));
 * ```
 */
export class DecodeError extends MachineError {
  /** The class name, for logs and `switch`es that cannot use `instanceof`. */
  override readonly name = 'DecodeError' as const;
  /** The raw message that failed to decode. */
  readonly data: Message;
  constructor(data: Message, cause: unknown) {
    super(`a received message could not be decoded: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.data = data;
  }
}

/**
 * Why a `request()` ended without a reply: `'timeout'`, `'disconnected'` (the connection that
 * carried it dropped), `'dropped'` (the queue gave it up) or `'stopped'` (the machine stopped).
 *
 * @example
 * ```ts
 * import { RequestError, type RequestErrorReason } from 'ws-machine';
 * const retryable = (e: unknown): boolean => e instanceof RequestError && e.reason !== ('stopped' satisfies RequestErrorReason);
 * ```
 */
export class RequestError extends MachineError {
  /** The class name, for logs and `switch`es that cannot use `instanceof`. */
  override readonly name = 'RequestError' as const;
  /** What ended the request. */
  override readonly reason: RequestErrorReason;
  constructor(reason: RequestErrorReason, message: string, cause?: unknown) {
    super(message, { cause });
    this.reason = reason;
  }
}

/**
 * What ended a request without a reply.
 *
 * @example
 * ```ts
 * import type { RequestErrorReason } from 'ws-machine';
 * const reason: RequestErrorReason = 'timeout';
 * ```
 */
export type RequestErrorReason = 'timeout' | 'disconnected' | 'dropped' | 'stopped';

/**
 * A user callback threw or returned an unusable value; the machine used a safe value instead and
 * went on. `option` names the callback (`retryDelay`, `shouldReconnect`, `channel filter` …) and
 * `cause` holds what was thrown.
 *
 * @example
 * ```ts
 * import { CallbackError, Machine } from 'ws-machine';
 * const machine = new Machine('ws://127.0.0.1:8080/', { retryDelay: () => Number.NaN });
 * machine.errors$.subscribe((e) => e instanceof CallbackError && console.warn(e.option, e.message));
 * ```
 */
export class CallbackError extends MachineError {
  /** The class name, for logs and `switch`es that cannot use `instanceof`. */
  override readonly name = 'CallbackError' as const;
  /** The option or callback that failed. */
  readonly option: string;
  constructor(option: string, cause: unknown) {
    super(`${option} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.option = option;
  }
}

// The errors both transports raise, worded once.

/** An open connection closed: the peer's code and reason. */
export function closedError(code: number, reason: string, cause?: unknown): CloseError {
  return new CloseError(`connection closed (code ${code}${reason ? `: ${reason}` : ''})`, { code, reason, cause });
}

/** An incoming message over `maxMessageSize`: the connection is closed with 1009. */
export function tooLargeError(maxMessageSize: number, cause?: unknown): CloseError {
  return new CloseError(`a message was larger than maxMessageSize (${maxMessageSize} bytes)`, { code: 1009, cause });
}

/** The server answered the upgrade with an HTTP status instead of switching protocols. */
export function refusedError(url: string, status: number, details: { code?: number; cause?: unknown } = {}): UpgradeError {
  const hint = status >= 300 && status < 400 ? ' (a redirect: set followRedirects: true to follow it)' : '';
  return new UpgradeError(`server refused the WebSocket upgrade of ${redactUrl(url)} with HTTP ${status}${hint}`, { ...details, status });
}

/**
 * An attempt that failed before the socket opened. TLS spoken to a plain-text server fails deep
 * in OpenSSL with words no user should have to decode: say what it means.
 */
export function connectError(url: string, detail: string, details: { code?: number; reason?: string; cause?: unknown } = {}): ConnectError {
  const plainServer = /^wss:/i.test(url) && /wrong version number|packet length too long|EPROTO|unknown protocol/i.test(detail);
  const text = plainServer ? `the server does not speak TLS; use ws:// for a plain-text server (${detail})` : detail;
  return new ConnectError(`could not connect to ${redactUrl(url)}: ${text}`, details);
}

/**
 * Reports an error that no callback took, as RxJS does: to `config.onUnhandledError` when one is
 * set, otherwise thrown on a clean stack, where it cannot unwind the machine that found it.
 */
export function reportUnhandled(error: unknown): void {
  setTimeout(() => {
    const report = config.onUnhandledError;
    if (report !== null) report(error);
    else throw error;
  });
}
