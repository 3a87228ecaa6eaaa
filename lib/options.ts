import type { Observable, ObservableInput, SchedulerLike } from 'rxjs';
import type { Codec } from './codec.js';
import type { WebSocketConstructor } from './transport.js';
import type { Format, Message, Sendable } from './types.js';

/**
 * A function that gives the URL for the next attempt (called before every attempt, so each can
 * carry a fresh token). It may return the URL or a Promise of it.
 *
 * @example
 * ```ts
 * import { Machine, type UrlProvider } from 'ws-machine';
 * declare const auth: { token(): Promise<string> };
 * const url: UrlProvider = async () => `wss://api.example.com/live?token=${await auth.token()}`;
 * const machine = new Machine(url);
 * ```
 */
export type UrlProvider = () => string | URL | PromiseLike<string | URL>;

/**
 * HTTP headers for the upgrade request (Node only), or a function giving them before every attempt.
 *
 * @example
 * ```ts
 * import type { HeadersOption } from 'ws-machine';
 * declare const auth: { token(): Promise<string> };
 * const headers: HeadersOption = async () => ({ authorization: `Bearer ${await auth.token()}` });
 * ```
 */
export type HeadersOption =
  Readonly<Record<string, string>> | (() => Readonly<Record<string, string>> | PromiseLike<Readonly<Record<string, string>>>);

/**
 * What the `handshake` function gets: a way to send on the freshly opened socket before anything
 * queued, and the frames it receives. (Those frames reach `machine.input$` as well.)
 *
 * @example
 * ```ts
 * import { first } from 'rxjs';
 * import type { Link } from 'ws-machine';
 * declare const token: string;
 * const handshake = (link: Link) => {
 *   link.send(JSON.stringify({ type: 'auth', token }));
 *   return link.input$.pipe(first((m) => m === '{"type":"ok"}'));
 * };
 * ```
 */
export interface Link {
  /** Sends one message now, as a frame of the current format. */
  send(message: Sendable): void;
  /** The messages this socket receives during the handshake. */
  readonly input$: Observable<Message>;
}

/**
 * TLS settings for `wss://` on Node (passed to `tls.connect`). Certificates are verified by default.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { Machine } from 'ws-machine';
 * new Machine('wss://10.0.0.5:8443/', { tls: { ca: readFileSync('ca.pem'), servername: 'api.internal' } });
 * ```
 */
export interface TlsOptions {
  /** Certificate authorities to trust instead of the system's (PEM). */
  ca?: string | Uint8Array | readonly (string | Uint8Array)[];
  /** Client certificate chain (PEM), for mutual TLS. */
  cert?: string | Uint8Array | readonly (string | Uint8Array)[];
  /** Client private key (PEM), for mutual TLS. */
  key?: string | Uint8Array | readonly (string | Uint8Array)[];
  /** Passphrase of `key`. */
  passphrase?: string;
  /** Server name for SNI and certificate checks, when it differs from the URL's host. */
  servername?: string;
  /** `false` accepts any certificate: for local testing only. Default `true`. */
  rejectUnauthorized?: boolean;
  /** Any other `tls.connect` option, passed through. */
  [option: string]: unknown;
}

/**
 * Everything a machine can be told at construction; every field is optional.
 *
 * @example
 * ```ts
 * import { Machine } from 'ws-machine';
 * const machine = new Machine('wss://example.com/feed', {
 *   protocols: ['v2.feed'],
 *   format: 'text',
 *   retryDelay: (attempt) => Math.min(30_000, 500 * 2 ** attempt),
 *   pingInterval: 15_000,
 *   maxQueue: 100,
 * });
 * ```
 */
export interface MachineOptions<In = Message, Out = Sendable> {
  /** Turns values into frames and frames into values (see `json()`); without one, messages are raw. */
  codec?: Codec<In, Out>;
  /** HTTP headers for the upgrade request, or a function giving them per attempt (Node only). */
  headers?: HeadersOption;
  /** Sub-protocols to offer. */
  protocols?: string | readonly string[];
  /** The frame type to send: `'binary'` (default, or the codec's `format`) or `'text'`. */
  format?: Format;
  /** ms for the opening handshake (and the `handshake` function); default 5000. */
  connectTimeout?: number;
  /** ms to wait in WAITING: a number, or a function of the attempt; default exponential with jitter. */
  retryDelay?: number | ((attempt: number) => number);
  /** ms a connection must stay up before `attempt` goes back to 0; default 5000. */
  minUptime?: number;
  /** ms of silence before a ping; 0 turns keep-alive off; default 30000. */
  pingInterval?: number;
  /** ms to wait for any frame after a ping; default 10000. */
  pongTimeout?: number;
  /** Sent in place of a ping where the WebSocket cannot ping (browsers, custom constructors). */
  heartbeat?: Sendable;
  /** Messages held while not connected; default 1000. */
  maxQueue?: number;
  /** A WebSocket constructor to use instead of the platform's (`ws` on Node, the global one in browsers). */
  WebSocket?: WebSocketConstructor;
  /** The RxJS scheduler every timer runs on; default `asyncScheduler`. */
  scheduler?: SchedulerLike;
  /** Consecutive failures after which the machine gives up; default `Infinity`. */
  maxAttempts?: number;
  /** Asked after every drop or failed attempt; `false` stops the machine. */
  shouldReconnect?: (error: Error) => boolean;
  /** Runs after the socket opens and before CONNECTED; its success lets the queue flush. */
  handshake?: (link: Link) => ObservableInput<unknown>;
  /** What a full queue gives up: `'drop-oldest'` (default) or `'drop-newest'`. */
  overflow?: 'drop-oldest' | 'drop-newest';
  /** While `false`, no attempt is made; on `true`, attempt at once. Browsers: window online/offline. */
  online$?: Observable<boolean>;
  /** Largest incoming message in bytes; a bigger one drops the connection (code 1009). Default 16 MiB. */
  maxMessageSize?: number;
  /** Socket `bufferedAmount` in bytes above which `output` holds messages in its queue; default 1 MiB. */
  highWaterMark?: number;
  /** TLS settings for `wss://` (Node only). */
  tls?: TlsOptions;
  /** Follow HTTP redirects on the upgrade request (Node only); default `false`. */
  followRedirects?: boolean;
  /**
   * An `http.Agent` for the upgrade request, e.g. an HTTPS proxy agent: the way through a
   * corporate proxy (Node only). Typed as `object` so that browser builds need no Node types.
   */
  agent?: object;
  /** Offer permessage-deflate (Node only; browsers always offer it); default `true`. */
  compress?: boolean;
}
