import { Subject, Subscription, combineLatest, defer, from, map, of, take, type Observable } from 'rxjs';
import { checkHeaders, type Config } from './config.js';
import { errorText } from './describe.js';
import { ConnectError, HandshakeError, type MachineError } from './errors.js';
import type { Link, UrlProvider } from './options.js';
import type { KeepAliveSignal, Watched } from './keepalive.js';
import type { Event } from './reducer.js';
import type { Sink, Transport } from './transport.js';
import type { Message, Sendable } from './types.js';
import { normalizeUrl } from './url.js';

/** What an attempt reports to, and reads from, its machine. */
export interface AttemptHost {
  /** The URL argument, validated: a URL, or the provider to call before every attempt. */
  readonly target: string | UrlProvider;
  readonly config: Config;
  /** The machine's event loop: everything an attempt learns goes there as an event. */
  event(event: Event): void;
  /** A received message (`bytes` of payload): the hot path to `input$`. */
  message(message: Message, bytes: number): void;
  /** A pong arrived, at `now` (on the config's clock). */
  pong(now: number): void;
  /** The URL this attempt is about to open (for `machine.url`). */
  opening(url: string): void;
  /** Sends on the handshake's socket in the current frame format; false when it is not open. */
  sendNow(transport: Transport, message: Sendable): boolean;
}

function toObservable<T>(value: T | PromiseLike<T>): Observable<T> {
  return typeof (value as PromiseLike<T> | undefined)?.then === 'function' ? from(value as PromiseLike<T>) : of(value as T);
}

/**
 * One attempt at a connection, from the URL and headers providers through the open socket to the
 * `handshake` option. It reports to the machine's loop as events tagged with its `id`, so the
 * reducer can tell a current event from a stale one; it is the sink its socket reports to.
 */
export class Attempt implements Sink, Watched {
  transport: Transport | undefined;
  /** Time of the latest incoming frame (on the config's clock), for keep-alive. */
  seen = 0;
  /** Provider calls, the handshake, a scheduled failure: cancelled when the attempt settles or ends. */
  private work: Subscription | undefined;
  /** The frames the handshake reads; present while it runs. */
  private link: Subject<Message> | undefined;

  constructor(
    readonly id: number,
    private readonly host: AttemptHost,
  ) {}

  /** Calls the providers (when there are any), then opens the socket. */
  start(): void {
    const url = this.host.target;
    const headers = this.host.config.headers;
    if (typeof url === 'string' && typeof headers !== 'function') {
      this.openSocket(url, headers);
      return;
    }
    // Providers are called per attempt; a throw, a rejection or a bad value fails this attempt only.
    const url$ = typeof url === 'string' ? of(url) : defer(() => toObservable(url())).pipe(map(normalizeUrl));
    const headers$ =
      typeof headers === 'function' ? defer(() => toObservable(headers())).pipe(map((h) => checkHeaders(h, 'headers()'))) : of(headers);
    this.track(
      combineLatest([url$, headers$])
        .pipe(take(1))
        .subscribe({
          next: ([u, h]) => this.openSocket(u, h),
          error: (error: unknown) =>
            this.failLater(new ConnectError(`url or headers provider failed: ${errorText(error)}`, { cause: error })),
        }),
    );
  }

  /** Runs the `handshake` option on the open socket; READY or FAILED goes to the loop once. */
  handshake(): void {
    const transport = this.transport;
    const handshake = this.host.config.handshake;
    if (transport === undefined || handshake === undefined) return;
    const frames = new Subject<Message>();
    this.link = frames;
    const link: Link = {
      send: (message) => {
        if (!this.host.sendNow(transport, message)) throw new Error('the handshake socket is not open');
      },
      input$: frames.asObservable(),
    };
    const id = this.id;
    let settled = false;
    const settle = (event: Event): void => {
      if (settled) return;
      settled = true;
      this.host.event(event);
    };
    this.track(
      defer(() => from(handshake(link))).subscribe({
        next: () => settle({ type: 'READY', id }),
        complete: () => settle({ type: 'READY', id }),
        error: (error: unknown) =>
          settle({ type: 'FAILED', id, error: new HandshakeError(`handshake failed: ${errorText(error)}`, { cause: error }) }),
      }),
    );
  }

  /** CONNECTED: the providers and the handshake have nothing more to say. */
  settle(): void {
    this.work?.unsubscribe();
    this.work = undefined;
    this.link?.complete();
    this.link = undefined;
  }

  /** Lets the socket go: a close handshake with `code`, or an abort without. */
  release(code: number | undefined): void {
    this.settle();
    this.transport?.close(code);
  }

  // Sink: what the socket reports.

  open(protocol: string): void {
    this.seen = this.host.config.clock.now();
    this.host.event({ type: 'OPENED', id: this.id, protocol });
  }

  // The hot path: straight to input$, no reducer, no copy, no timer.
  message(message: Message, bytes: number): void {
    this.host.message(message, bytes);
    this.link?.next(message);
  }

  activity(): void {
    this.seen = this.host.config.clock.now();
  }

  pong(): void {
    const now = this.host.config.clock.now();
    this.seen = now;
    this.host.pong(now);
  }

  fail(error: MachineError): void {
    this.host.event({ type: 'FAILED', id: this.id, error });
  }

  // Watched: what the keep-alive reports about this attempt's connection.
  keepAliveSignal(signal: KeepAliveSignal): void {
    this.host.event({ type: signal, id: this.id });
  }

  private openSocket(url: string, headers: Readonly<Record<string, string>> | undefined): void {
    this.host.opening(url);
    const config = this.host.config;
    try {
      this.transport = config.platform.open(config, { url, protocols: config.protocols, headers }, this);
    } catch (error) {
      this.failLater(new ConnectError(`could not open a WebSocket: ${errorText(error)}`, { cause: error }));
    }
  }

  /**
   * Reports a failure raised by our own call (a provider or constructor that threw) on the next
   * tick, as a socket would: the first attempt starts inside the machine's constructor, and its
   * failure must reach subscribers who subscribe right after `new`.
   */
  private failLater(error: MachineError): void {
    this.track(this.host.config.scheduler.schedule(() => this.fail(error)));
  }

  private track(subscription: Subscription): void {
    (this.work ??= new Subscription()).add(subscription);
  }
}
