import { asyncScheduler, isObservable, type Observable, type ObservableInput, type SchedulerLike } from 'rxjs';
import { backoff } from './backoff.js';
import { clockOf, type Clock } from './clock.js';
import type { Codec } from './codec.js';
import { describeValue } from './describe.js';
import { toMessage } from './message.js';
import type { HeadersOption, Link, MachineOptions, TlsOptions, UrlProvider } from './options.js';
import type { Platform } from './platform.js';
import type { WebSocketConstructor } from './transport.js';
import { normalizeUrl } from './url.js';
import type { Format, Message } from './types.js';

/** setTimeout's limit: a longer delay would fire at once, so no time option may exceed it. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
/** The most messages a queue may be told to hold, short of `Infinity`. */
export const MAX_QUEUE = 2 ** 32 - 1;
/** Default largest incoming message: 16 MiB. */
export const DEFAULT_MAX_MESSAGE_SIZE = 16 * 1024 * 1024;
/** Default `bufferedAmount` above which output waits for the socket to drain: 1 MiB. */
export const DEFAULT_HIGH_WATER_MARK = 1024 * 1024;

/** RFC 7230 token: what a sub-protocol name may be. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Options after validation and defaults: what the machine, its parts and the reducer read. */
export interface Config {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the machine's In/Out are its own business
  readonly codec: Codec<any, any> | undefined;
  readonly headers: HeadersOption | undefined;
  readonly protocols: string[] | undefined;
  readonly format: Format;
  readonly connectTimeout: number;
  /** A fixed delay, or a function of the attempt (`backoff` by default). */
  readonly retryDelay: number | ((attempt: number) => number);
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
  /** The sockets to drive: the entry point's, which the config was resolved for. */
  readonly platform: Platform;
  /** The scheduler's clock (`clockOf(scheduler)`), which every machine of the scheduler shares. */
  readonly clock: Clock;
}

/** Every option a machine knows, to name the nearest one when a key is misspelt. */
const KNOWN: readonly (keyof MachineOptions)[] = [
  'codec',
  'headers',
  'protocols',
  'format',
  'connectTimeout',
  'retryDelay',
  'minUptime',
  'pingInterval',
  'pongTimeout',
  'heartbeat',
  'maxQueue',
  'WebSocket',
  'scheduler',
  'maxAttempts',
  'shouldReconnect',
  'handshake',
  'overflow',
  'online$',
  'maxMessageSize',
  'highWaterMark',
  'tls',
  'followRedirects',
  'agent',
  'compress',
];

interface NumberRule {
  readonly min?: number;
  readonly max?: number;
  readonly integer?: boolean;
  readonly infinite?: boolean;
  readonly orFunction?: boolean;
}

// The rules and lists the checks use, made once rather than per machine.
const ANY: NumberRule = {};
const AT_LEAST_1: NumberRule = { min: 1 };
const QUEUE_LENGTH: NumberRule = { integer: true, infinite: true, max: MAX_QUEUE };
const COUNT_OR_INFINITY: NumberRule = { min: 1, integer: true, infinite: true, max: Number.MAX_SAFE_INTEGER };
const SIZE_OR_INFINITY: NumberRule = { integer: true, infinite: true, max: Number.MAX_SAFE_INTEGER };
const DELAY_OR_FUNCTION: NumberRule = { orFunction: true };
const FORMATS: readonly Format[] = ['binary', 'text'];
const OVERFLOWS: readonly Config['overflow'][] = ['drop-oldest', 'drop-newest'];

function number(name: string, value: unknown, fallback: number, rule: NumberRule = ANY): number {
  const { min = 0, max = MAX_TIMER_MS, integer = false, infinite = false, orFunction = false } = rule;
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value)) {
    const expected = orFunction ? 'a number of ms or a function (attempt) => ms' : 'a number';
    throw new TypeError(`${name} must be ${expected}, got ${describeValue(value)}`);
  }
  if (value === Infinity && infinite) return value;
  if (!Number.isFinite(value) || value < min || (integer && !Number.isInteger(value)) || value > max) {
    const kind = integer ? 'an integer' : 'a number';
    throw new RangeError(`${name} must be ${kind} from ${min} to ${max}${infinite ? ' or Infinity' : ''}, got ${value}`);
  }
  return value;
}

function oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) {
    throw new TypeError(`${name} must be ${allowed.map((a) => `'${a}'`).join(' or ')}, got ${describeValue(value)}`);
  }
  return value as T;
}

function flag(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new TypeError(`${name} must be a boolean, got ${describeValue(value)}`);
  return value;
}

function fn<T extends object>(name: string, value: T | undefined): T | undefined {
  if (value === undefined) return undefined;
  // Typed as a function, but a caller without types may pass anything.
  if (typeof (value as unknown) !== 'function') throw new TypeError(`${name} must be a function, got ${describeValue(value)}`);
  return value;
}

function protocolList(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  const list: unknown = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list)) throw new TypeError(`protocols must be a string or an array of strings, got ${describeValue(value)}`);
  const seen = new Set<string>();
  for (const p of list as unknown[]) {
    if (typeof p !== 'string' || !TOKEN.test(p)) throw new SyntaxError(`protocols: "${String(p)}" is not a valid sub-protocol name`);
    if (seen.has(p)) throw new SyntaxError(`protocols: "${p}" is listed twice`);
    seen.add(p);
  }
  return list as string[];
}

/** Edit distance, for "did you mean" on a misspelt option. */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1;
      next[j] = Math.min((row[j] ?? 0) + 1, (next[j - 1] ?? 0) + 1, (row[j - 1] ?? 0) + cost);
    }
    row = next;
  }
  return row[b.length] ?? 0;
}

/** Refuses a key no option has, naming the nearest known one when it is close. */
function checkKeys(options: object, known: readonly string[]): void {
  // for…in, not Object.keys: no array of keys for every machine made.
  for (const key in options) {
    if (!Object.prototype.hasOwnProperty.call(options, key) || known.includes(key)) continue;
    let best: string | undefined;
    let bestDistance = Math.max(2, Math.floor(key.length / 3)) + 1;
    for (const candidate of known) {
      const d = distance(key, candidate);
      if (d < bestDistance) [best, bestDistance] = [candidate, d];
    }
    throw new TypeError(`options: unknown option "${key}"${best === undefined ? '' : `; did you mean "${best}"?`}`);
  }
}

/** Checks that headers are a plain record of string values. */
export function checkHeaders(value: unknown, name = 'headers'): Record<string, string> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`${name} must be an object of string values, got ${describeValue(value)}`);
  }
  for (const [key, v] of Object.entries(value)) {
    // The value is not quoted: it may be a credential.
    if (typeof v !== 'string') throw new TypeError(`${name}["${key}"] must be a string, got ${typeof v}`);
  }
  return value as Record<string, string>;
}

/** Options only Node's sockets can honour: each throws a TypeError naming it in a browser. */
function nodeOnly(o: MachineOptions, platform: Platform): void {
  if (platform.node) return;
  if (o.headers !== undefined) {
    throw new TypeError('headers cannot be sent by a browser WebSocket; pass credentials in the URL or a handshake instead');
  }
  for (const name of ['tls', 'agent'] as const) {
    if (o[name] !== undefined) throw new TypeError(`${name} cannot be set for a browser WebSocket`);
  }
}

function isCodec(value: unknown): value is Codec<unknown, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const { encode, decode } = value as Record<string, unknown>;
  return typeof encode === 'function' && typeof decode === 'function';
}

function codecOf(value: unknown): Codec<unknown, unknown> | undefined {
  if (value === undefined) return undefined;
  if (!isCodec(value)) {
    throw new TypeError(`codec must be an object with encode and decode functions (such as json()), got ${describeValue(value)}`);
  }
  oneOf('codec.format', value.format, FORMATS, 'binary');
  return value;
}

function retryDelayOf(value: unknown): number | ((attempt: number) => number) {
  if (typeof value === 'function') return value as (attempt: number) => number;
  if (value === undefined) return backoff;
  return number('retryDelay', value, 0, DELAY_OR_FUNCTION);
}

/** Validates the URL argument: a provider as it is, anything else as a ws: or wss: URL string. */
export function resolveUrl(url: unknown): string | UrlProvider {
  return typeof url === 'function' ? (url as UrlProvider) : normalizeUrl(url);
}

/**
 * Validates the options and fills in defaults. Throws a TypeError, SyntaxError or RangeError
 * naming the option. Machines made from the same options object (or from none) on the same
 * platform share the config it gives: see `share`.
 */
export function resolveOptions(options: unknown, platform: Platform): Config {
  if (options === null || (options !== undefined && typeof options !== 'object')) {
    throw new TypeError(`options must be an object, got ${describeValue(options)}`);
  }
  const o = (options ?? NO_OPTIONS) as MachineOptions;
  checkKeys(o, KNOWN);
  nodeOnly(o, platform);
  if (o.headers !== undefined && typeof o.headers !== 'function') checkHeaders(o.headers);
  // Typed, but a caller without types may pass anything.
  const { tls, agent } = o as { tls?: unknown; agent?: unknown };
  if (tls !== undefined && (tls === null || typeof tls !== 'object')) {
    throw new TypeError(`tls must be an object of TLS settings, got ${describeValue(o.tls)}`);
  }
  if (agent !== undefined && (agent === null || typeof agent !== 'object')) {
    throw new TypeError(`agent must be an http.Agent, got ${describeValue(o.agent)}`);
  }
  const WebSocket = fn('WebSocket', o.WebSocket) ?? platform.WebSocket;
  if (WebSocket === undefined) {
    throw new TypeError('WebSocket: this platform has no WebSocket; pass a constructor as the WebSocket option');
  }
  const scheduler = o.scheduler ?? asyncScheduler;
  if (typeof scheduler !== 'object' || typeof scheduler.schedule !== 'function' || typeof scheduler.now !== 'function') {
    throw new TypeError(`scheduler must be an RxJS SchedulerLike, got ${describeValue(o.scheduler)}`);
  }
  if (o.online$ !== undefined && !isObservable(o.online$)) {
    throw new TypeError(`online$ must be an Observable<boolean>, got ${describeValue(o.online$)}`);
  }
  let heartbeat: Message | undefined;
  if (o.heartbeat !== undefined) {
    try {
      heartbeat = toMessage(o.heartbeat);
    } catch {
      throw new TypeError(`heartbeat must be a string or bytes, got ${describeValue(o.heartbeat)}`);
    }
  }

  const codec = codecOf(o.codec);
  // Straight into the sparse config, in one pass: no full object of every setting to throw away.
  const c = new SparseConfig();
  put(c, 'codec', codec);
  put(c, 'headers', o.headers);
  put(c, 'protocols', protocolList(o.protocols));
  put(c, 'format', oneOf('format', o.format, FORMATS, codec?.format ?? 'binary'));
  put(c, 'connectTimeout', number('connectTimeout', o.connectTimeout, 5000, AT_LEAST_1));
  put(c, 'retryDelay', retryDelayOf(o.retryDelay));
  put(c, 'minUptime', number('minUptime', o.minUptime, 5000));
  put(c, 'pingInterval', number('pingInterval', o.pingInterval, 30_000));
  put(c, 'pongTimeout', number('pongTimeout', o.pongTimeout, 10_000, AT_LEAST_1));
  put(c, 'heartbeat', heartbeat);
  put(c, 'maxQueue', number('maxQueue', o.maxQueue, 1000, QUEUE_LENGTH));
  put(c, 'WebSocket', WebSocket);
  put(c, 'native', o.WebSocket === undefined && platform.native);
  put(c, 'scheduler', scheduler);
  put(c, 'maxAttempts', number('maxAttempts', o.maxAttempts, Infinity, COUNT_OR_INFINITY));
  put(c, 'shouldReconnect', fn('shouldReconnect', o.shouldReconnect));
  put(c, 'handshake', fn('handshake', o.handshake));
  put(c, 'overflow', oneOf('overflow', o.overflow, OVERFLOWS, 'drop-oldest'));
  put(c, 'online$', o.online$); // the platform's default is the engine's to make: a fresh one each
  put(c, 'maxMessageSize', number('maxMessageSize', o.maxMessageSize, DEFAULT_MAX_MESSAGE_SIZE, COUNT_OR_INFINITY));
  put(c, 'highWaterMark', number('highWaterMark', o.highWaterMark, DEFAULT_HIGH_WATER_MARK, SIZE_OR_INFINITY));
  put(c, 'tls', o.tls);
  put(c, 'followRedirects', flag('followRedirects', o.followRedirects, false));
  put(c, 'agent', o.agent);
  put(c, 'compress', flag('compress', o.compress, true));
  put(c, 'platform', platform);
  put(c, 'clock', clockOf(scheduler));
  return share(o, c) as unknown as Config;
}

/** The key under which machines made without options share their config. */
const NO_OPTIONS: MachineOptions = Object.freeze({});

/**
 * The config last resolved from each options object, weakly held. A fleet made from one options
 * object then holds one config instead of one per machine. Every machine still validates its
 * options in full, so an object changed in place since (or the same object on another platform)
 * resolves to other settings and gets a config of its own. The configs are never written to, so
 * machines that share one cannot see each other through it.
 */
const SHARED = new WeakMap<object, SparseConfig>();

function share(options: object, config: SparseConfig): SparseConfig {
  const last = SHARED.get(options);
  if (last !== undefined && sameSettings(last, config)) return last;
  SHARED.set(options, config);
  return config;
}

/** The same own settings (what differs from the defaults), each the same by `sameSetting`. */
function sameSettings(a: SparseConfig, b: SparseConfig): boolean {
  // Own keys only. A for-in loop also walks the defaults on the prototype, on V8's slow path: it
  // cost a machine about 4 µs, more than resolving the options themselves.
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  for (const key of keys) if (!Object.prototype.hasOwnProperty.call(y, key) || !sameSetting(x[key], y[key])) return false;
  return true;
}

/** The same value, or lists with the same items (`protocols: 'a'` makes a new list each time). */
function sameSetting(x: unknown, y: unknown): boolean {
  if (x === y) return true;
  return Array.isArray(x) && Array.isArray(y) && x.length === y.length && x.every((item, i) => item === y[i]);
}

/**
 * Every default, held once: a machine's config has it as prototype and keeps as its own only what
 * differs, so ten thousand machines made with a few options do not each carry every setting.
 */
const DEFAULTS: Omit<Config, 'WebSocket' | 'native' | 'platform' | 'clock'> = {
  codec: undefined,
  headers: undefined,
  protocols: undefined,
  format: 'binary',
  connectTimeout: 5000,
  retryDelay: backoff,
  minUptime: 5000,
  pingInterval: 30_000,
  pongTimeout: 10_000,
  heartbeat: undefined,
  maxQueue: 1000,
  scheduler: asyncScheduler,
  maxAttempts: Infinity,
  shouldReconnect: undefined,
  handshake: undefined,
  overflow: 'drop-oldest',
  online$: undefined,
  maxMessageSize: DEFAULT_MAX_MESSAGE_SIZE,
  highWaterMark: DEFAULT_HIGH_WATER_MARK,
  tls: undefined,
  followRedirects: false,
  agent: undefined,
  compress: true,
};

/**
 * A config of its own settings only: an instance of a class (not `Object.create`) so that V8 keeps
 * them inside the object rather than in a separate property array.
 */
// eslint-disable-next-line @typescript-eslint/no-extraneous-class -- a class only for how V8 lays out its instances
class SparseConfig {}
Object.setPrototypeOf(SparseConfig.prototype, DEFAULTS);

/** Gives `config` its own `key` unless `value` is the default, which its prototype already holds. */
function put<K extends keyof Config>(config: SparseConfig, key: K, value: Config[K]): void {
  if (value !== (DEFAULTS as Partial<Config>)[key]) (config as Record<string, unknown>)[key] = value;
}
