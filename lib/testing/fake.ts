import { asyncScheduler, Observable, Subject, type SchedulerLike } from 'rxjs';
import { kindOf } from '../describe.js';

/**
 * One frame as it crossed the fake network: text frames carry a string, binary frames bytes.
 *
 * @example
 * ```ts
 * const texts = connection.received
 *   .filter((frame) => frame.type === 'text')
 *   .map((frame) => frame.data);
 * ```
 */
export type FakeFrame =
  | {
      /** A text frame. */
      readonly type: 'text';
      /** Its text. */
      readonly data: string;
    }
  | {
      /** A binary frame. */
      readonly type: 'binary';
      /** Its bytes (a copy the test may keep). */
      readonly data: Uint8Array;
    };

/**
 * How a fake connection ended, as its server saw it.
 *
 * - `by`: the side that ended it (`'client'` for the socket's own `close()`, `'server'` for
 *   {@link FakeConnection.close}, {@link FakeConnection.drop} and {@link FakeConnection.refuse}).
 * - `wasClean`: `true` when a close frame was exchanged; `false` (with `code` 1006) otherwise.
 * - `code`: the close code; 1005 when the close frame carried none.
 *
 * @example
 * ```ts
 * expect(connection.closed).to.deep.equal({ code: 1000, reason: '', wasClean: true, by: 'client' });
 * ```
 */
export interface FakeClose {
  /** The close code: from the close frame, 1005 when it had none, 1006 when there was none. */
  readonly code: number;
  /** The reason from the close frame; `''` without one. */
  readonly reason: string;
  /** Whether a close frame ended the connection. */
  readonly wasClean: boolean;
  /** Which side ended it. */
  readonly by: 'client' | 'server';
}

/**
 * What a {@link FakeServer} does with a connection as it arrives: `'accept'` opens it (with the
 * sub-protocol from {@link FakeServerOptions.selectProtocol}), `'refuse'` fails it the way a
 * refused TCP connection or an HTTP error fails a browser's WebSocket (an `error` event, then
 * `close` with 1006), and `'manual'` leaves it waiting for {@link FakeConnection.accept} or
 * {@link FakeConnection.refuse}.
 *
 * @example
 * ```ts
 * server.answer = 'refuse'; // the server is down from now on
 * server.dropAll();
 * ```
 */
export type FakeAnswer = 'accept' | 'refuse' | 'manual';

/**
 * Options of a {@link FakeServer}.
 *
 * @example
 * ```ts
 * const server = new FakeServer({ scheduler: testScheduler, answer: 'manual', latency: 5 });
 * ```
 */
export interface FakeServerOptions {
  /**
   * Where every event and frame is delivered. In `TestScheduler.run()` pass the test scheduler
   * (or keep the default: `asyncScheduler` runs in virtual time inside `run()` too).
   * @defaultValue `asyncScheduler`
   */
  scheduler?: SchedulerLike;
  /**
   * What the server does with each new connection; can be changed later through {@link FakeServer.answer}.
   * @defaultValue `'accept'`
   */
  answer?: FakeAnswer;
  /**
   * Picks the sub-protocol when a connection is accepted automatically.
   * @defaultValue the first one offered, or `''` when none is offered (what a `ws` server does)
   */
  selectProtocol?: (offered: readonly string[]) => string;
  /**
   * Milliseconds each frame, close, open or connection request takes to cross the fake network,
   * in each direction; an opening handshake takes two of them (request, then answer).
   * @defaultValue `0`
   */
  latency?: number;
}

/**
 * The server's side of one fake WebSocket connection: what the client offered and sent, and
 * the controls to answer it, talk to it and end it. Get it from {@link FakeServer.connections},
 * {@link FakeServer.lastConnection} or {@link FakeServer.connection$}.
 *
 * Everything it does reaches the client later, on the server's scheduler, in the order it was
 * done; nothing fires synchronously inside the caller.
 *
 * @example
 * ```ts
 * server.connection$.subscribe((connection) => {
 *   // an echo server
 *   connection.received$.subscribe((frame) => connection.send(frame.data));
 * });
 * ```
 */
export interface FakeConnection {
  /** The URL the client asked for, normalised as a browser does (`http:` becomes `ws:`). */
  readonly url: string;
  /** The sub-protocols the client offered, in its order. */
  readonly protocols: readonly string[];
  /** The headers of a Node-style third constructor argument (`{ headers }`), `{}` without one. */
  readonly headers: Readonly<Record<string, string>>;
  /** `'connecting'` until accepted or refused, `'open'`, then `'closed'`. */
  readonly state: 'connecting' | 'open' | 'closed';
  /** The sub-protocol the server accepted (`''` for none, or until accepted). */
  readonly protocol: string;
  /** Every frame the server received from the client, in order. */
  readonly received: readonly FakeFrame[];
  /** Each frame as it reaches the server; completes when the connection closes. */
  readonly received$: Observable<FakeFrame>;
  /** How the connection ended; `undefined` while it has not. */
  readonly closed: FakeClose | undefined;
  /**
   * Completes the opening handshake. Ignored when the client has already given up; throws when
   * the connection is already open or `protocol` is not one the client offered.
   * @param protocol - the sub-protocol to accept; none by default
   */
  accept(protocol?: string): void;
  /**
   * Fails the opening handshake: the client gets `error`, then `close` with 1006. Ignored when
   * the connection has closed; throws when it is open (use {@link FakeConnection.close} or
   * {@link FakeConnection.drop}).
   */
  refuse(): void;
  /**
   * Sends a frame to the client: a string as a text frame, bytes as a binary frame (copied now).
   * Ignored once the connection has closed; throws before it is open.
   */
  send(data: string | ArrayBufferLike | ArrayBufferView): void;
  /**
   * Starts a clean close: the client gets `close` with this code and reason (1005 without a code).
   * Ignored once the connection has closed; throws before it is open (use {@link FakeConnection.refuse}).
   * @param code - 1000–4999, except 1004, 1005, 1006 and 1015, which never go on the wire
   * @param reason - at most 123 bytes of UTF-8
   */
  close(code?: number, reason?: string): void;
  /**
   * Lets the connection die without a close frame, as when the network goes away: the client
   * gets `close` with 1006 and `wasClean: false` after whatever was already on its way. Before
   * the connection opens this is the same as {@link FakeConnection.refuse}. Ignored once closed.
   */
  drop(): void;
}

/**
 * The event a {@link FakeWebSocket} dispatches for each message: `data` is a string for a text
 * frame; for a binary frame an `ArrayBuffer` when `binaryType` is `'arraybuffer'`, else a `Blob`.
 *
 * @example
 * ```ts
 * socket.addEventListener('message', (event: FakeMessageEvent) => console.log(event.data));
 * ```
 */
export class FakeMessageEvent extends Event {
  /** The message. */
  readonly data: string | ArrayBuffer | Blob;
  /** The origin of the server (scheme, host and port of the socket's URL). */
  readonly origin: string;
  /** Always `''` for WebSocket messages. */
  readonly lastEventId: string = '';

  /**
   * @param type - the event type, `'message'` for a WebSocket
   * @param init - the message and its origin
   */
  constructor(type: string, init: { data: string | ArrayBuffer | Blob; origin?: string }) {
    super(type);
    this.data = init.data;
    this.origin = init.origin ?? '';
  }
}

/**
 * The event a {@link FakeWebSocket} dispatches when it closes.
 *
 * @example
 * ```ts
 * socket.onclose = (event) => console.log(event.code, event.reason, event.wasClean);
 * ```
 */
export class FakeCloseEvent extends Event {
  /** The close code (1005 when the close frame had none, 1006 when there was no close frame). */
  readonly code: number;
  /** The reason from the close frame. */
  readonly reason: string;
  /** Whether the closing handshake completed. */
  readonly wasClean: boolean;

  /**
   * @param type - the event type, `'close'` for a WebSocket
   * @param init - the code, reason and cleanliness of the close
   */
  constructor(type: string, init: { code?: number; reason?: string; wasClean?: boolean } = {}) {
    super(type);
    this.code = init.code ?? 0;
    this.reason = init.reason ?? '';
    this.wasClean = init.wasClean ?? false;
  }
}

/**
 * What a {@link FakeWebSocket}'s `on*` properties hold: a function of the event, or `null`.
 *
 * @example
 * ```ts
 * const log: FakeEventHandler<FakeCloseEvent> = (event) => console.log('closed', event.code);
 * socket.onclose = log;
 * ```
 */
export type FakeEventHandler<E> = ((event: E) => unknown) | null;

/**
 * The events a {@link FakeWebSocket} dispatches, by type: what a listener added with
 * `addEventListener(type, …)` receives.
 *
 * @example
 * ```ts
 * const onClose = (event: FakeWebSocketEventMap['close']) => console.log(event.code, event.wasClean);
 * socket.addEventListener('close', onClose);
 * ```
 */
export interface FakeWebSocketEventMap {
  /** The socket opened. */
  open: Event;
  /** A message arrived. */
  message: FakeMessageEvent;
  /** Something failed; the close event that follows says how. */
  error: Event;
  /** The socket closed. */
  close: FakeCloseEvent;
}

/**
 * A listener for {@link FakeWebSocket.addEventListener}: a function of the event, or an object
 * with a `handleEvent` method.
 *
 * @example
 * ```ts
 * const listener: FakeEventListener<FakeMessageEvent> = { handleEvent: (event) => console.log(event.data) };
 * socket.addEventListener('message', listener);
 * ```
 */
export type FakeEventListener<E> =
  | ((event: E) => unknown)
  | {
      /** Called with each event. */
      handleEvent(event: E): unknown;
    };

/**
 * The options `addEventListener` takes, as in the DOM (spelled out so that the types need no DOM library).
 *
 * @example
 * ```ts
 * const options: FakeListenerOptions = { once: true };
 * socket.addEventListener('open', () => console.log('open'), options);
 * ```
 */
export type FakeListenerOptions =
  | boolean
  | {
      /** As in the DOM (a socket has no tree, so it changes nothing). */
      capture?: boolean;
      /** Remove the listener after its first call. */
      once?: boolean;
      /** As in the DOM (nothing to prevent here). */
      passive?: boolean;
      /** Remove the listener when this aborts. */
      signal?: AbortSignal;
    };

// What a server's WebSocket subclass carries so the shared constructor finds its server.
const HUB = Symbol('ws-machine/testing hub');

interface Hub {
  readonly scheduler: SchedulerLike;
  readonly latency: number;
  arrive(connection: Connection): void;
}

// The client's side as the network sees it: each method runs when something reaches the socket.
interface ClientPort {
  opened(protocol: string): void;
  failed(): void;
  message(frame: FakeFrame): void;
  closeFrame(code: number | undefined, reason: string): void;
  dropped(): void;
}

// One direction of the fake network: steps run in the order pushed, each `delay` ms after its push,
// whatever order the scheduler would give actions that are due at the same time.
class Channel {
  readonly #queue: (() => void)[] = [];

  constructor(
    private readonly scheduler: SchedulerLike,
    private readonly delay: number,
  ) {}

  push(step: () => void): void {
    this.#queue.push(step);
    this.scheduler.schedule(() => this.#queue.shift()?.(), this.delay);
  }
}

const encoder = new TextEncoder();

function copyBytes(data: ArrayBufferLike | ArrayBufferView): Uint8Array {
  if (ArrayBuffer.isView(data)) {
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  }
  return new Uint8Array(data).slice();
}

function isArrayBuffer(data: unknown): data is ArrayBufferLike {
  const tag = Object.prototype.toString.call(data);
  return tag === '[object ArrayBuffer]' || tag === '[object SharedArrayBuffer]';
}

function toFrame(data: unknown, who: string): FakeFrame {
  if (typeof data === 'string') return { type: 'text', data };
  if (isArrayBuffer(data) || ArrayBuffer.isView(data)) return { type: 'binary', data: copyBytes(data) };
  // A browser would send String(data); a test is better off hearing about it.
  throw new TypeError(`${who}: the fake sends strings, ArrayBuffers and ArrayBufferViews only, not ${kindOf(data)}`);
}

function frameSize(frame: FakeFrame): number {
  return frame.type === 'text' ? encoder.encode(frame.data).byteLength : frame.data.byteLength;
}

// RFC 7230 token characters: what a sub-protocol name may contain.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function parseUrl(input: string | URL): string {
  let url: URL;
  try {
    url = new URL(String(input));
  } catch {
    throw new DOMException(`Failed to construct 'WebSocket': The URL '${String(input)}' is invalid.`, 'SyntaxError');
  }
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new DOMException(
      `Failed to construct 'WebSocket': The URL's scheme must be 'ws' or 'wss'; '${url.protocol}' is not allowed.`,
      'SyntaxError',
    );
  }
  if (url.hash !== '') {
    throw new DOMException(`Failed to construct 'WebSocket': The URL contains a fragment identifier ('${url.hash}').`, 'SyntaxError');
  }
  return url.href;
}

function parseProtocols(protocols: string | readonly string[] | undefined): string[] {
  const list = protocols === undefined ? [] : typeof protocols === 'string' ? [protocols] : [...protocols];
  list.forEach((protocol, index) => {
    if (!TOKEN.test(protocol)) {
      throw new DOMException(`Failed to construct 'WebSocket': The subprotocol '${protocol}' is invalid.`, 'SyntaxError');
    }
    if (list.indexOf(protocol) !== index) {
      throw new DOMException(`Failed to construct 'WebSocket': The subprotocol '${protocol}' is duplicated.`, 'SyntaxError');
    }
  });
  return list;
}

function readHeaders(options: unknown): Record<string, string> {
  const headers: Record<string, string> = {};
  const given = (options as { headers?: unknown } | null | undefined)?.headers;
  if (given !== null && typeof given === 'object') {
    for (const [name, value] of Object.entries(given)) {
      if (value !== undefined) headers[name] = String(value);
    }
  }
  return headers;
}

/**
 * An in-memory stand-in for the browser's `WebSocket`, speaking to a {@link FakeServer}.
 * It follows the WHATWG WebSocket API: `readyState` and its constants, `url`, `protocol`,
 * `extensions`, `binaryType`, `bufferedAmount`, `send`, `close`, `addEventListener` and the
 * `on*` properties for `open`, `message`, `error` and `close`. Events come from the server's
 * scheduler, never from inside the constructor, `send` or `close`. It cannot ping, so a
 * machine keeps such a connection alive with its `heartbeat` option.
 *
 * Construct it only through a server: `new server.WebSocket(url, protocols)`; pass
 * `server.WebSocket` as a machine's `WebSocket` option.
 *
 * Where a browser would quietly send `String(data)`, `send` throws a `TypeError` for anything
 * but a string, an `ArrayBuffer` or an `ArrayBufferView` (a `Blob` too: reading one takes a
 * Promise, which virtual time cannot wait for).
 *
 * @example
 * ```ts
 * const server = new FakeServer();
 * const socket = new server.WebSocket('ws://test/chat', ['v2.chat']);
 * socket.binaryType = 'arraybuffer';
 * socket.onopen = () => socket.send('hello');
 * socket.addEventListener('message', (event) => console.log(event.data));
 * ```
 */
export class FakeWebSocket extends EventTarget {
  /** `readyState` while the opening handshake runs. */
  static readonly CONNECTING = 0;
  /** `readyState` while messages can be sent and received. */
  static readonly OPEN = 1;
  /** `readyState` while the closing handshake runs. */
  static readonly CLOSING = 2;
  /** `readyState` once the connection has ended. */
  static readonly CLOSED = 3;
  /** `readyState` while the opening handshake runs. */
  readonly CONNECTING = 0;
  /** `readyState` while messages can be sent and received. */
  readonly OPEN = 1;
  /** `readyState` while the closing handshake runs. */
  readonly CLOSING = 2;
  /** `readyState` once the connection has ended. */
  readonly CLOSED = 3;

  /** The URL, normalised (`http:` becomes `ws:`, `https:` becomes `wss:`). */
  readonly url: string;

  #readyState: 0 | 1 | 2 | 3 = 0;
  #protocol = '';
  #binaryType: 'blob' | 'arraybuffer' = 'blob';
  #bufferedAmount = 0;
  readonly #connection: Connection;
  readonly #scheduler: SchedulerLike;
  readonly #handlers = new Map<string, { handler: (event: never) => unknown; listener: (event: Event) => void }>();

  /**
   * @param url - a `ws:`, `wss:`, `http:` or `https:` URL without a fragment (else a `SyntaxError` DOMException)
   * @param protocols - sub-protocols to offer: tokens, no duplicates (else a `SyntaxError` DOMException)
   * @param options - accepted as `ws` does on Node; only `headers` is read, and recorded on the connection
   */
  constructor(url: string | URL, protocols?: string | string[], options?: { headers?: Record<string, string> }) {
    super();
    const hub = (new.target as unknown as Record<symbol, Hub | undefined>)[HUB];
    if (hub === undefined) {
      throw new TypeError('FakeWebSocket: construct it through a server, as new server.WebSocket(url)');
    }
    this.url = parseUrl(url);
    this.#scheduler = hub.scheduler;
    const port: ClientPort = {
      opened: (protocol) => {
        if (this.#readyState !== 0) return;
        this.#readyState = 1;
        this.#protocol = protocol;
        this.dispatchEvent(new Event('open'));
      },
      failed: () => this.#fail(),
      message: (frame) => {
        if (this.#readyState !== 1) return;
        this.dispatchEvent(new FakeMessageEvent('message', { data: this.#payload(frame), origin: new URL(this.url).origin }));
      },
      closeFrame: (code, reason) => {
        if (this.#readyState === 3) return;
        this.#readyState = 3;
        this.dispatchEvent(new FakeCloseEvent('close', { code: code ?? 1005, reason, wasClean: true }));
      },
      dropped: () => {
        if (this.#readyState === 3) return;
        this.#readyState = 3;
        this.dispatchEvent(new FakeCloseEvent('close', { code: 1006, reason: '', wasClean: false }));
      },
    };
    this.#connection = new Connection(hub, this.url, parseProtocols(protocols), readHeaders(options), port);
  }

  /** {@link FakeWebSocket.CONNECTING}, {@link FakeWebSocket.OPEN}, {@link FakeWebSocket.CLOSING} or {@link FakeWebSocket.CLOSED}. */
  get readyState(): 0 | 1 | 2 | 3 {
    return this.#readyState;
  }

  /** The sub-protocol the server accepted; `''` until open, or when it accepted none. */
  get protocol(): string {
    return this.#protocol;
  }

  /** Always `''`: the fake negotiates no extensions. */
  readonly extensions: string = '';

  /** Bytes passed to `send` that have not reached the server yet (and, once closing, all of them). */
  get bufferedAmount(): number {
    return this.#bufferedAmount;
  }

  /** How binary messages are delivered: `'blob'` (the default) or `'arraybuffer'`; other values are ignored. */
  get binaryType(): 'blob' | 'arraybuffer' {
    return this.#binaryType;
  }

  /** Sets how binary messages are delivered from now on. */
  set binaryType(value: 'blob' | 'arraybuffer') {
    const given: unknown = value; // untyped callers may set anything: the standard ignores other values
    if (given === 'blob' || given === 'arraybuffer') this.#binaryType = given;
  }

  /** Called for the `open` event, after the listeners added before it was first set. */
  get onopen(): FakeEventHandler<Event> {
    return this.#handler('open');
  }

  /** Sets the handler of `open` events; `null` removes it. */
  set onopen(handler: FakeEventHandler<Event>) {
    this.#setHandler('open', handler);
  }

  /** Called for each `message` event. */
  get onmessage(): FakeEventHandler<FakeMessageEvent> {
    return this.#handler('message');
  }

  /** Sets the handler of `message` events; `null` removes it. */
  set onmessage(handler: FakeEventHandler<FakeMessageEvent>) {
    this.#setHandler('message', handler);
  }

  /** Called for the `error` event (a failed connection, before its `close`). */
  get onerror(): FakeEventHandler<Event> {
    return this.#handler('error');
  }

  /** Sets the handler of `error` events; `null` removes it. */
  set onerror(handler: FakeEventHandler<Event>) {
    this.#setHandler('error', handler);
  }

  /** Called for the `close` event. */
  get onclose(): FakeEventHandler<FakeCloseEvent> {
    return this.#handler('close');
  }

  /** Sets the handler of `close` events; `null` removes it. */
  set onclose(handler: FakeEventHandler<FakeCloseEvent>) {
    this.#setHandler('close', handler);
  }

  /**
   * Adds a listener for `open`, `message`, `error` or `close`, typed by the event:
   * `'message'` gets a {@link FakeMessageEvent}, `'close'` a {@link FakeCloseEvent}.
   * @param type - the event type
   * @param listener - a function of the event, or an object with `handleEvent`
   * @param options - `once`, `signal`, `capture`, `passive`, as in the DOM
   *
   * @example
   * ```ts
   * socket.addEventListener('message', (event) => console.log(event.data));
   * socket.addEventListener('close', (event) => console.log(event.code, event.reason));
   * ```
   */
  override addEventListener<K extends keyof FakeWebSocketEventMap>(
    type: K,
    listener: FakeEventListener<FakeWebSocketEventMap[K]> | null,
    options?: FakeListenerOptions,
  ): void;
  override addEventListener(type: string, listener: FakeEventListener<Event> | null, options?: FakeListenerOptions): void;
  override addEventListener(type: string, listener: FakeEventListener<never> | null, options?: FakeListenerOptions): void {
    super.addEventListener(type, listener as Parameters<EventTarget['addEventListener']>[1], options);
  }

  /**
   * Removes a listener added with `addEventListener` (the same type, listener and `capture`).
   * @param type - the event type
   * @param listener - the listener to remove
   * @param options - `capture`, as it was when the listener was added
   *
   * @example
   * ```ts
   * const onMessage = (event: FakeMessageEvent) => console.log(event.data);
   * socket.addEventListener('message', onMessage);
   * socket.removeEventListener('message', onMessage);
   * ```
   */
  override removeEventListener<K extends keyof FakeWebSocketEventMap>(
    type: K,
    listener: FakeEventListener<FakeWebSocketEventMap[K]> | null,
    options?: boolean | { capture?: boolean },
  ): void;
  override removeEventListener(type: string, listener: FakeEventListener<Event> | null, options?: boolean | { capture?: boolean }): void;
  override removeEventListener(type: string, listener: FakeEventListener<never> | null, options?: boolean | { capture?: boolean }): void {
    super.removeEventListener(type, listener as Parameters<EventTarget['removeEventListener']>[1], options);
  }

  /**
   * Sends a string as a text frame, or bytes as a binary frame (copied now); a `Blob` (which only
   * a Promise can read) gets a `TypeError`: send its bytes instead. Throws an
   * `InvalidStateError` DOMException while connecting; once closing, the data is counted in
   * `bufferedAmount` and discarded, as in a browser.
   */
  send(data: string | ArrayBufferLike | ArrayBufferView | Blob): void {
    if (this.#readyState === 0) {
      throw new DOMException("Failed to execute 'send' on 'WebSocket': Still in CONNECTING state.", 'InvalidStateError');
    }
    const frame = toFrame(data, "Failed to execute 'send' on 'WebSocket'");
    const size = frameSize(frame);
    this.#bufferedAmount += size;
    if (this.#readyState !== 1) return;
    this.#connection.fromClient(frame, () => {
      this.#bufferedAmount -= size;
    });
  }

  /**
   * Starts the closing handshake; while connecting, gives up instead (`error`, then `close`
   * with 1006). Does nothing once closing or closed.
   * @param code - 1000 or 3000–4999 (else an `InvalidAccessError` DOMException); 1000 when only a reason is given
   * @param reason - at most 123 bytes of UTF-8 (else a `SyntaxError` DOMException)
   */
  close(code?: number, reason?: string): void {
    if (code !== undefined && !(code === 1000 || (Number.isInteger(code) && code >= 3000 && code <= 4999))) {
      throw new DOMException(
        `Failed to execute 'close' on 'WebSocket': The close code must be either 1000, or between 3000 and 4999. ${code} is neither.`,
        'InvalidAccessError',
      );
    }
    if (reason !== undefined && encoder.encode(reason).byteLength > 123) {
      throw new DOMException(
        "Failed to execute 'close' on 'WebSocket': The close reason must not be greater than 123 UTF-8 bytes.",
        'SyntaxError',
      );
    }
    if (this.#readyState === 2 || this.#readyState === 3) return;
    if (this.#readyState === 0) {
      this.#readyState = 2;
      this.#connection.clientAbort();
      this.#scheduler.schedule(() => this.#fail());
      return;
    }
    this.#readyState = 2;
    this.#connection.clientClose(code ?? (reason === undefined ? undefined : 1000), reason ?? '');
  }

  #fail(): void {
    if (this.#readyState === 3) return;
    this.#readyState = 3;
    this.dispatchEvent(new Event('error'));
    this.dispatchEvent(new FakeCloseEvent('close', { code: 1006, reason: '', wasClean: false }));
  }

  #payload(frame: FakeFrame): string | ArrayBuffer | Blob {
    if (frame.type === 'text') return frame.data;
    const bytes = frame.data.slice();
    return this.#binaryType === 'arraybuffer' ? bytes.buffer : new Blob([bytes.buffer]);
  }

  #handler<E>(type: string): FakeEventHandler<E> {
    return (this.#handlers.get(type)?.handler as FakeEventHandler<E> | undefined) ?? null;
  }

  // As in a browser: the listener behind an on* property keeps its place among the other
  // listeners while the property changes, and leaves when it is set to null.
  #setHandler<E>(type: string, handler: FakeEventHandler<E>): void {
    const slot = this.#handlers.get(type);
    if (typeof handler !== 'function') {
      if (slot !== undefined) {
        this.removeEventListener(type, slot.listener);
        this.#handlers.delete(type);
      }
      return;
    }
    if (slot !== undefined) {
      slot.handler = handler;
      return;
    }
    const created = {
      handler: handler as (event: never) => unknown,
      listener: (event: Event) => {
        (created.handler as (event: Event) => unknown).call(this, event);
      },
    };
    this.#handlers.set(type, created);
    this.addEventListener(type, created.listener);
  }
}

/**
 * The constructor a {@link FakeServer} hands out: {@link FakeWebSocket} bound to that server.
 *
 * @example
 * ```ts
 * const WebSocket: FakeWebSocketConstructor = server.WebSocket;
 * new Machine('ws://test/', { WebSocket, scheduler });
 * ```
 */
export type FakeWebSocketConstructor = typeof FakeWebSocket;

class Connection implements FakeConnection {
  state: 'connecting' | 'open' | 'closed' = 'connecting';
  protocol = '';
  closed: FakeClose | undefined = undefined;
  readonly received: FakeFrame[] = [];
  readonly received$: Observable<FakeFrame>;
  readonly #frames = new Subject<FakeFrame>();
  readonly #up: Channel;
  readonly #down: Channel;

  constructor(
    hub: Hub,
    readonly url: string,
    readonly protocols: readonly string[],
    readonly headers: Readonly<Record<string, string>>,
    private readonly port: ClientPort,
  ) {
    this.received$ = this.#frames.asObservable();
    this.#up = new Channel(hub.scheduler, hub.latency);
    this.#down = new Channel(hub.scheduler, hub.latency);
    this.#up.push(() => hub.arrive(this));
  }

  accept(protocol?: string): void {
    if (this.state === 'closed') return;
    if (this.state === 'open') throw new Error(`accept: the connection to ${this.url} is already open`);
    const chosen = protocol ?? '';
    if (chosen !== '' && !this.protocols.includes(chosen)) {
      throw new RangeError(`accept: the client did not offer the sub-protocol "${chosen}" (it offered ${JSON.stringify(this.protocols)})`);
    }
    this.state = 'open';
    this.protocol = chosen;
    this.#down.push(() => this.port.opened(chosen));
  }

  refuse(): void {
    if (this.state === 'closed') return;
    if (this.state === 'open') throw new Error(`refuse: the connection to ${this.url} is already open; use close() or drop()`);
    this.#end({ code: 1006, reason: '', wasClean: false, by: 'server' });
    this.#down.push(() => this.port.failed());
  }

  send(data: string | ArrayBufferLike | ArrayBufferView): void {
    if (this.state === 'connecting') throw new Error(`send: the connection to ${this.url} is not open yet; accept() it first`);
    const frame = toFrame(data, 'send');
    if (this.state === 'closed') return;
    this.#down.push(() => this.port.message(frame));
  }

  close(code?: number, reason = ''): void {
    if (code !== undefined && !(Number.isInteger(code) && code >= 1000 && code <= 4999 && ![1004, 1005, 1006, 1015].includes(code))) {
      throw new RangeError(`close: ${code} cannot be sent in a close frame; use drop() for 1006`);
    }
    if (encoder.encode(reason).byteLength > 123) throw new RangeError('close: the reason is longer than 123 bytes of UTF-8');
    if (this.state === 'connecting') throw new Error(`close: the connection to ${this.url} is not open yet; use refuse()`);
    if (this.state === 'closed') return;
    this.#end({ code: code ?? 1005, reason, wasClean: true, by: 'server' });
    this.#down.push(() => this.port.closeFrame(code, reason));
  }

  drop(): void {
    if (this.state === 'connecting') {
      this.refuse();
      return;
    }
    if (this.state === 'closed') return;
    this.#end({ code: 1006, reason: '', wasClean: false, by: 'server' });
    this.#down.push(() => this.port.dropped());
  }

  fromClient(frame: FakeFrame, arrived: () => void): void {
    this.#up.push(() => {
      arrived();
      if (this.state !== 'open') return;
      this.received.push(frame);
      this.#frames.next(frame);
    });
  }

  clientClose(code: number | undefined, reason: string): void {
    this.#up.push(() => {
      if (this.state !== 'open') return;
      this.#end({ code: code ?? 1005, reason, wasClean: true, by: 'client' });
      // The server answers a close frame with the same code, as ws does.
      this.#down.push(() => this.port.closeFrame(code, reason));
    });
  }

  clientAbort(): void {
    this.#up.push(() => {
      if (this.state === 'closed') return;
      this.#end({ code: 1006, reason: '', wasClean: false, by: 'client' });
    });
  }

  #end(close: FakeClose): void {
    this.state = 'closed';
    this.closed = close;
    this.#frames.complete();
  }
}

/**
 * An in-memory WebSocket server for unit tests, with no network: hand its
 * {@link FakeServer.WebSocket} constructor to the code under test (a machine's `WebSocket`
 * option), then watch and drive each connection from the test. Every event is delivered on the
 * scheduler given in {@link FakeServerOptions}, so inside `TestScheduler.run()` all of it runs in
 * virtual time.
 *
 * @example
 * ```ts
 * import { TestScheduler } from 'rxjs/testing';
 * import { Machine, Command } from 'ws-machine';
 * import { FakeServer } from 'ws-machine/testing';
 *
 * const scheduler = new TestScheduler((actual, expected) => {
 *   expect(actual).to.deep.equal(expected);
 * });
 * scheduler.run(() => {
 *   const server = new FakeServer({ scheduler });
 *   server.connection$.subscribe((connection) => connection.send('welcome'));
 *   const machine = new Machine('ws://test/feed', { WebSocket: server.WebSocket, scheduler });
 *   machine.input$.subscribe((message) => console.log('got', message)); // got welcome
 *   machine.output.next('hi');
 *   scheduler.schedule(() => machine.command.next(Command.QUIT), 100);
 * });
 * ```
 */
export class FakeServer {
  /** A WebSocket constructor whose sockets connect to this server. */
  readonly WebSocket: FakeWebSocketConstructor;
  /** The scheduler every event of this server is delivered on. */
  readonly scheduler: SchedulerLike;
  /**
   * Each connection as it reaches the server: already open (or refused) when the server answers
   * automatically, still `'connecting'` in `'manual'` mode.
   */
  readonly connection$: Observable<FakeConnection>;
  /** What the server does with connections that arrive from now on (see {@link FakeAnswer}). */
  answer: FakeAnswer;
  readonly #connections: FakeConnection[] = [];

  /** @param options - scheduler, answer, sub-protocol choice and latency; see {@link FakeServerOptions} */
  constructor(options: FakeServerOptions = {}) {
    const latency = options.latency ?? 0;
    if (!(Number.isFinite(latency) && latency >= 0)) throw new RangeError(`latency must be a finite number >= 0, not ${latency}`);
    const answer = options.answer ?? 'accept';
    if (!['accept', 'refuse', 'manual'].includes(answer))
      throw new RangeError(`answer must be 'accept', 'refuse' or 'manual', not ${JSON.stringify(answer)}`);
    const selectProtocol = options.selectProtocol ?? ((offered: readonly string[]) => offered[0] ?? '');
    this.scheduler = options.scheduler ?? asyncScheduler;
    this.answer = answer;
    const arrivals = new Subject<FakeConnection>();
    this.connection$ = arrivals.asObservable();
    const hub: Hub = {
      scheduler: this.scheduler,
      latency,
      arrive: (connection) => {
        this.#connections.push(connection);
        // Answered before connection$ sees it, so a subscriber can send to it at once.
        if (this.answer === 'accept') connection.accept(selectProtocol(connection.protocols));
        else if (this.answer === 'refuse') connection.refuse();
        arrivals.next(connection);
      },
    };
    this.WebSocket = class extends FakeWebSocket {};
    Object.defineProperty(this.WebSocket, HUB, { value: hub });
    Object.defineProperty(this.WebSocket, 'name', { value: 'WebSocket' });
  }

  /** Every connection that reached this server, oldest first. */
  get connections(): readonly FakeConnection[] {
    return this.#connections;
  }

  /** The connections that are open now. */
  get openConnections(): readonly FakeConnection[] {
    return this.#connections.filter((connection) => connection.state === 'open');
  }

  /** The newest connection; throws when none has arrived yet. */
  get lastConnection(): FakeConnection {
    const connection = this.#connections[this.#connections.length - 1];
    if (connection === undefined) throw new Error('FakeServer: no connection has arrived yet');
    return connection;
  }

  /**
   * Drops every connection that has not closed, as a crashing server does: open ones get
   * `close` with 1006, waiting ones are refused.
   */
  dropAll(): void {
    for (const connection of this.#connections) connection.drop();
  }

  /**
   * Closes every open connection cleanly (by default with 1001, "going away", as a server that
   * shuts down) and refuses the ones still waiting for an answer.
   */
  closeAll(code = 1001, reason = ''): void {
    for (const connection of this.#connections) {
      if (connection.state === 'open') connection.close(code, reason);
      else connection.refuse();
    }
  }
}
