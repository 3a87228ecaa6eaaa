import { isObservable, type Observable, type ObservableInput, type SchedulerLike, asyncScheduler } from 'rxjs';
import { redactUrl } from './redact.js';
import type { Format, Message, Sendable } from './types.js';
import { toMessage } from './message.js';

/**
 * A function that gives the URL for the next attempt (called before every attempt, so each can
 * carry a fresh token). It may return the URL or a Promise of it.
 *
 * @example
 * ```ts
 * const machine = new Machine(async () => `wss://api.example.com/live?token=${await auth.token()}`);
 * ```
 */
export type UrlProvider = () => string | URL | PromiseLike<string | URL>;

/**
 * HTTP headers for the upgrade request (Node only), or a function giving them before every attempt.
 *
 * @example
 * ```ts
 * const headers: HeadersOption = async () => ({ authorization: `Bearer ${await auth.token()}` });
 * ```
 */
export type HeadersOption =
  | Readonly<Record<string, string>>
  | (() => Readonly<Record<string, string>> | PromiseLike<Readonly<Record<string, string>>>);

/**
 * What the `handshake` function gets: a way to send on the freshly opened socket before anything
 * queued, and the frames it receives. (Those frames reach `machine.input$` as well.)
 *
 * @example
 * ```ts
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
 * The part of the standard (WHATWG) WebSocket interface that a machine drives.
 *
 * @example
 * ```ts
 * const socket: WebSocketLike = new WebSocket('wss://example.com/');
 * ```
 */
export interface WebSocketLike {
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  /** The sub-protocol the server chose (`''` for none). */
  readonly protocol: string;
  /** Bytes accepted by `send()` but not yet on the wire; drives `highWaterMark`. */
  readonly bufferedAmount: number;
  /** Set to `'arraybuffer'` by the machine, so binary messages arrive as ArrayBuffer. */
  binaryType: string;
  /** Sends a string as a text frame, bytes as a binary frame. */
  send(data: string | ArrayBufferLike | ArrayBufferView): void;
  /** Starts the closing handshake (or aborts an opening one). */
  close(code?: number, reason?: string): void;
  /** The machine listens for `open`, `message`, `close` and `error`. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  addEventListener(type: string, listener: (event: any) => void): void;
  /** Undoes `addEventListener`. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  removeEventListener(type: string, listener: (event: any) => void): void;
}

/**
 * A WebSocket constructor: the browser's, `ws`, or a test double.
 *
 * @example
 * ```ts
 * import WebSocket from 'ws';
 * const ctor: WebSocketConstructor = WebSocket;
 * ```
 */
export type WebSocketConstructor = new (
  url: string,
  protocols?: string | string[],
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  options?: any,
) => WebSocketLike;

/**
 * TLS settings for `wss://` on Node (passed to `tls.connect`). Certificates are verified by default.
 *
 * @example
 * ```ts
 * new Machine('wss://10.0.0.5:8443/', { tls: { ca: readFileSync('ca.pem'), servername: 'api.internal' } });
 * ```
 */
export interface TlsOptions {
  /** Certificate authorities to trust instead of the system's (PEM). */
  ca?: string | Uint8Array | ReadonlyArray<string | Uint8Array>;
  /** Client certificate chain (PEM), for mutual TLS. */
  cert?: string | Uint8Array | ReadonlyArray<string | Uint8Array>;
  /** Client private key (PEM), for mutual TLS. */
  key?: string | Uint8Array | ReadonlyArray<string | Uint8Array>;
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
 * const machine = new Machine('wss://example.com/feed', {
 *   protocols: ['v2.feed'],
 *   format: 'text',
 *   retryDelay: (attempt) => Math.min(30_000, 500 * 2 ** attempt),
 *   pingInterval: 15_000,
 *   maxQueue: 100,
 * });
 * ```
 */
export interface MachineOptions {
  /** HTTP headers for the upgrade request, or a function giving them per attempt (Node only). */
  headers?: HeadersOption;
  /** Sub-protocols to offer. */
  protocols?: string | readonly string[];
  /** The frame type to send: `'binary'` (default) or `'text'`. */
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
   * An `http.Agent` for the upgrade request (Node only), e.g. `new HttpsProxyAgent(proxyUrl)` to go
   * through an HTTP proxy. Typed as `object` so that browser builds need no Node types.
   */
  agent?: object;
  /** Offer permessage-deflate (Node only; browsers always offer it); default `true`, as `ws` does. */
  compress?: boolean;
}

/** What a platform (Node, browser) contributes to a machine. */
export interface Platform {
  /** The platform's own socket layer, used when no `WebSocket` option is given. */
  readonly WebSocket: WebSocketConstructor | undefined;
  /** True where the default socket is `ws`, driven through its own API (pings, headers, TLS). */
  readonly native: boolean;
  /** Headers, TLS and redirects are only possible on Node. */
  readonly node: boolean;
  /** The default `online$` (browsers: window events), or none. */
  readonly online$: (() => Observable<boolean>) | undefined;
}

/** Options after validation and defaults: what the machine and reducer read. */
export interface Config {
  readonly url: string | UrlProvider;
  readonly headers: HeadersOption | undefined;
  readonly protocols: string[] | undefined;
  readonly format: Format;
  readonly connectTimeout: number;
  readonly retryDelay: (attempt: number) => number;
  readonly minUptime: number;
  readonly pingInterval: number;
  readonly pongTimeout: number;
  readonly heartbeat: Message | undefined;
  readonly maxQueue: number;
  readonly WebSocket: WebSocketConstructor;
  readonly native: boolean;
  readonly scheduler: SchedulerLike;
  readonly maxAttempts: number;
  readonly shouldReconnect: ((error: Error) => boolean) | undefined;
  readonly handshake: ((link: Link) => ObservableInput<unknown>) | undefined;
  readonly overflow: 'drop-oldest' | 'drop-newest';
  readonly online$: Observable<boolean> | undefined;
  readonly maxMessageSize: number;
  readonly highWaterMark: number;
  readonly tls: TlsOptions | undefined;
  readonly followRedirects: boolean;
  readonly agent: object | undefined;
  readonly compress: boolean;
}

const MAX_TIMER = 2 ** 31 - 1; // setTimeout's limit: longer delays fire at once
const SCHEMES: Readonly<Record<string, string>> = { 'ws:': 'ws:', 'wss:': 'wss:', 'http:': 'ws:', 'https:': 'wss:' };
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/; // RFC 7230 token: what a sub-protocol may be

/**
 * The default `retryDelay`: random in [d/2, d] with d = min(30 s, 1 s × 2^(attempt−1)), so that
 * clients dropped together do not all come back in the same millisecond.
 *
 * @example
 * ```ts
 * new Machine(url, { retryDelay: (attempt) => (attempt > 5 ? 60_000 : backoff(attempt)) });
 * ```
 */
export function backoff(attempt: number): number {
  const d = Math.min(30_000, 1000 * 2 ** Math.max(0, attempt - 1));
  return Math.round(d / 2 + (Math.random() * d) / 2);
}

/**
 * Checks a static URL (or one a provider returned) and turns http(s) into ws(s).
 * Throws a SyntaxError or TypeError whose message names the (redacted) URL.
 */
export function normalizeUrl(input: unknown): string {
  if (typeof input !== 'string' && !(input instanceof URL)) {
    throw new TypeError(`url must be a string, a URL or a function returning one, got ${describe(input)}`);
  }
  const text = String(input);
  let parsed: URL;
  try {
    const base = (globalThis as { location?: { href?: string } }).location?.href;
    parsed = base === undefined ? new URL(text) : new URL(text, base);
  } catch {
    // No `cause`: the parser's error keeps the whole URL, credentials included, in `input`.
    throw new SyntaxError(`url "${redactUrl(text)}" is not a valid URL`);
  }
  const scheme = SCHEMES[parsed.protocol];
  if (scheme === undefined) {
    throw new SyntaxError(`url "${redactUrl(text)}" has scheme "${parsed.protocol}"; use ws:, wss:, http: or https:`);
  }
  if (parsed.hash !== '') {
    throw new SyntaxError(`url "${redactUrl(text)}" has a fragment (#…), which WebSocket URLs cannot have`);
  }
  if (scheme === parsed.protocol && /^wss?:\/\//i.test(text)) return text; // as given, when nothing needs changing
  parsed.protocol = scheme;
  return parsed.href;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

function number(
  name: string,
  value: unknown,
  fallback: number,
  { min = 0, integer = false, infinite = false }: { min?: number; integer?: boolean; infinite?: boolean } = {},
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new TypeError(`${name} must be a number, got ${describe(value)}`);
  }
  if (value === Infinity && infinite) return value;
  if (!Number.isFinite(value) || value < min || (integer && !Number.isInteger(value)) || value > MAX_TIMER) {
    const kind = integer ? 'an integer' : 'a number';
    throw new RangeError(`${name} must be ${kind} from ${min} to ${MAX_TIMER}${infinite ? ' or Infinity' : ''}, got ${value}`);
  }
  return value;
}

function oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) {
    throw new TypeError(`${name} must be ${allowed.map((a) => `'${a}'`).join(' or ')}, got ${describe(value)}`);
  }
  return value as T;
}

function fn<T>(name: string, value: unknown): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') throw new TypeError(`${name} must be a function, got ${describe(value)}`);
  return value as T;
}

function protocolList(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list)) throw new TypeError(`protocols must be a string or an array of strings, got ${describe(value)}`);
  const seen = new Set<string>();
  for (const p of list) {
    if (typeof p !== 'string' || !TOKEN.test(p)) throw new SyntaxError(`protocols: "${String(p)}" is not a valid sub-protocol name`);
    if (seen.has(p)) throw new SyntaxError(`protocols: "${p}" is listed twice`);
    seen.add(p);
  }
  return list as string[];
}

/** Checks that headers are a plain record of string values. */
export function checkHeaders(value: unknown, name = 'headers'): Record<string, string> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`${name} must be an object of string values, got ${describe(value)}`);
  }
  for (const [key, v] of Object.entries(value)) {
    // The value is not quoted: it may be a credential.
    if (typeof v !== 'string') throw new TypeError(`${name}["${key}"] must be a string, got ${typeof v}`);
  }
  return value as Record<string, string>;
}

/**
 * Validates the URL argument and options and fills in defaults. Throws a TypeError, SyntaxError or
 * RangeError naming the URL or the option.
 */
export function resolveOptions(url: unknown, options: unknown, platform: Platform): Config {
  if (options === null || (options !== undefined && typeof options !== 'object')) {
    throw new TypeError(`options must be an object, got ${describe(options)}`);
  }
  const o = (options ?? {}) as MachineOptions;
  const target = typeof url === 'function' ? (url as UrlProvider) : normalizeUrl(url);

  if (o.headers !== undefined) {
    if (!platform.node) {
      throw new TypeError('headers cannot be sent by a browser WebSocket; pass credentials in the URL or a handshake instead');
    }
    if (typeof o.headers !== 'function') checkHeaders(o.headers);
  }
  if (o.tls !== undefined && (!platform.node || o.tls === null || typeof o.tls !== 'object')) {
    throw new TypeError(platform.node ? 'tls must be an object of TLS settings' : 'tls cannot be set for a browser WebSocket');
  }
  if (o.followRedirects !== undefined && typeof o.followRedirects !== 'boolean') {
    throw new TypeError(`followRedirects must be a boolean, got ${describe(o.followRedirects)}`);
  }
  if (o.agent !== undefined && (!platform.node || o.agent === null || typeof o.agent !== 'object')) {
    throw new TypeError(platform.node ? `agent must be an http.Agent, got ${describe(o.agent)}` : 'agent cannot be used by a browser WebSocket');
  }
  // A browser always offers compression; `compress` is accepted there and changes nothing.
  if (o.compress !== undefined && typeof o.compress !== 'boolean') {
    throw new TypeError(`compress must be a boolean, got ${describe(o.compress)}`);
  }
  const WebSocket = fn<WebSocketConstructor>('WebSocket', o.WebSocket) ?? platform.WebSocket;
  if (WebSocket === undefined) {
    throw new TypeError('WebSocket: this platform has no WebSocket; pass a constructor as the WebSocket option');
  }
  const scheduler = o.scheduler ?? asyncScheduler;
  if (typeof scheduler !== 'object' || typeof scheduler.schedule !== 'function' || typeof scheduler.now !== 'function') {
    throw new TypeError(`scheduler must be an RxJS SchedulerLike, got ${describe(o.scheduler)}`);
  }
  const retryDelay = o.retryDelay;
  let delay: (attempt: number) => number;
  if (typeof retryDelay === 'function') delay = retryDelay;
  else if (retryDelay === undefined) delay = backoff;
  else {
    const fixed = number('retryDelay', retryDelay, 0);
    delay = () => fixed;
  }
  if (o.online$ !== undefined && !isObservable(o.online$)) {
    throw new TypeError(`online$ must be an Observable<boolean>, got ${describe(o.online$)}`);
  }
  let heartbeat: Message | undefined;
  if (o.heartbeat !== undefined) {
    try {
      heartbeat = toMessage(o.heartbeat);
    } catch {
      throw new TypeError(`heartbeat must be a string or bytes, got ${describe(o.heartbeat)}`);
    }
  }

  return {
    url: target,
    headers: o.headers,
    protocols: protocolList(o.protocols),
    format: oneOf('format', o.format, ['binary', 'text'], 'binary'),
    connectTimeout: number('connectTimeout', o.connectTimeout, 5000, { min: 1 }),
    retryDelay: delay,
    minUptime: number('minUptime', o.minUptime, 5000),
    pingInterval: number('pingInterval', o.pingInterval, 30_000),
    pongTimeout: number('pongTimeout', o.pongTimeout, 10_000, { min: 1 }),
    heartbeat,
    maxQueue: number('maxQueue', o.maxQueue, 1000, { integer: true, infinite: true }),
    WebSocket,
    native: o.WebSocket === undefined && platform.native,
    scheduler,
    maxAttempts: number('maxAttempts', o.maxAttempts, Infinity, { min: 1, integer: true, infinite: true }),
    shouldReconnect: fn('shouldReconnect', o.shouldReconnect),
    handshake: fn('handshake', o.handshake),
    overflow: oneOf('overflow', o.overflow, ['drop-oldest', 'drop-newest'], 'drop-oldest'),
    online$: o.online$ ?? platform.online$?.(),
    maxMessageSize: number('maxMessageSize', o.maxMessageSize, 16 * 1024 * 1024, { min: 1, integer: true, infinite: true }),
    highWaterMark: number('highWaterMark', o.highWaterMark, 1024 * 1024, { integer: true, infinite: true }),
    tls: o.tls,
    followRedirects: o.followRedirects ?? false,
    agent: o.agent,
    compress: !platform.node || (o.compress ?? true),
  };
}
