import {
  type Observable,
  type Observer,
  type SchedulerLike,
  Subject,
  Subscription,
  combineLatest,
  config as rxjsConfig,
  defer,
  from,
  map,
  of,
  scan,
  take,
} from 'rxjs';
import { ConnectError, HandshakeError } from './errors.js';
import { keepAlive } from './keepalive.js';
import { toMessage } from './message.js';
import { Multicast } from './multicast.js';
import {
  backoff,
  checkHeaders,
  normalizeUrl,
  resolveOptions,
  type Config,
  type Link,
  type MachineOptions,
  type Platform,
  type UrlProvider,
} from './options.js';
import { Queue } from './queue.js';
import { Trampoline } from './trampoline.js';
import { initialContext, transition, type Effect, type Event, type Policy, type Step, type TimerName } from './reducer.js';
import type { OpenRequest, Sink, Transport } from './transport.js';
import { openWeb } from './transport-web.js';
import { Command, type Message, type Sendable, type Status } from './types.js';

const COMMANDS: ReadonlySet<unknown> = new Set(Object.values(Command));
const START: Event = { type: 'START' };
const QUIT: Event = { type: 'COMMAND', command: Command.QUIT };
const TIMER_EVENTS = { connect: 'CONNECT_TIMEOUT', retry: 'RETRY', uptime: 'STABLE' } as const;
const DRAIN_POLL_MS = 5; // how often a backed-up socket is checked for room
const MAX_DELAY = 2 ** 31 - 1;
const noop = (): void => {};
const always = (): boolean => true;

/** Opens a socket for one attempt: `ws` natively on Node, or the standard WebSocket API. */
export type Opener = (config: Config, request: OpenRequest, sink: Sink) => Transport;

/**
 * One attempt, and the sink its socket reports to. Socket events are tagged with the attempt's
 * id, so the reducer can tell a current event from a stale one.
 */
class Attempt implements Sink {
  transport: Transport | undefined;
  /** Provider calls, the handshake, a scheduled failure: cancelled with the attempt. */
  readonly work = new Subscription();
  /** The frames the handshake reads; present while it runs. */
  link: Subject<Message> | undefined;
  /** Time of the latest incoming frame, for keep-alive. */
  seen = 0;

  constructor(
    readonly id: number,
    private readonly input: Multicast<Message>,
    private readonly events: Multicast<Event>,
    private readonly scheduler: SchedulerLike,
  ) {}

  open(protocol: string): void {
    this.seen = this.scheduler.now();
    this.events.next({ type: 'OPENED', id: this.id, protocol });
  }

  // The hot path: straight to input$, no reducer, no copy, no timer.
  message(message: Message): void {
    this.input.next(message);
    this.link?.next(message);
  }

  activity(): void {
    this.seen = this.scheduler.now();
  }

  fail(error: Error): void {
    this.events.next({ type: 'FAILED', id: this.id, error });
  }
}

/**
 * Reports an error thrown by a user callback the way RxJS reports errors thrown by observers: on a
 * later tick, through `config.onUnhandledError` when set. The machine itself goes on.
 */
function reportLater(error: unknown): void {
  setTimeout(() => {
    const handler = rxjsConfig.onUnhandledError;
    if (handler) handler(error);
    else throw error;
  });
}

function toObservable<T>(value: T | PromiseLike<T>): Observable<T> {
  return typeof (value as PromiseLike<T> | undefined)?.then === 'function' ? from(value as PromiseLike<T>) : of(value as T);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `retryDelay` made total: a throw or a value out of range is reported, and the default used. */
function safeRetryDelay(retryDelay: (attempt: number) => number): (attempt: number) => number {
  if (retryDelay === backoff) return backoff;
  return (attempt) => {
    let delay: unknown;
    try {
      delay = retryDelay(attempt);
    } catch (error) {
      reportLater(error);
      return backoff(attempt);
    }
    if (typeof delay === 'number' && delay >= 0 && delay <= MAX_DELAY) return delay;
    reportLater(new RangeError(`retryDelay(${attempt}) returned ${String(delay)}; expected ms from 0 to ${MAX_DELAY}. Using the default backoff.`));
    return backoff(attempt);
  };
}

/** `shouldReconnect` made total: a throw is reported, and read as "stay up". */
function safeShouldReconnect(decide: ((error: Error) => boolean) | undefined): (error: Error) => boolean {
  if (decide === undefined) return always;
  return (error) => {
    try {
      return Boolean(decide(error));
    } catch (thrown) {
      reportLater(thrown);
      return true;
    }
  };
}

/**
 * The platform-independent machine; `Machine` (Node) and the browser build's `Machine` give it
 * their platform. See `Machine` for the documentation.
 *
 * @example
 * ```ts
 * const machine: MachineCore = new Machine('ws://127.0.0.1:8080/');
 * ```
 */
export class MachineCore {
  /** Every status change; replays the current status to each new subscriber; never errors. */
  readonly state$: Observable<Status>;
  /** Received messages, in order: text as `string`, binary as `Uint8Array`; never errors. */
  readonly input$: Observable<Message>;
  /** Every message the bounded queue gave up (overflow, or still queued at stop). */
  readonly dropped$: Observable<Message>;
  /** Messages to send; queued while not CONNECTED. Its `complete()`/`error()` do not stop the machine. */
  readonly output: Observer<Sendable>;
  /** Commands; `complete()` or `error()` stops the machine like `Command.QUIT`. */
  readonly command: Observer<Command>;

  private readonly config: Config;
  private readonly opener: Opener;
  private readonly statusSubject = new Multicast<Status>(true);
  private readonly inputSubject = new Multicast<Message>();
  private readonly droppedSubject = new Multicast<Message>();
  private readonly events = new Trampoline<Event>();
  private readonly queue = new Queue<Message>();
  private readonly timers: Partial<Record<TimerName, Subscription>> = {};
  private readonly loop = new Subscription();
  private attemptNow: Attempt | undefined;
  /** The socket of the CONNECTED attempt: sends bypass the queue while it has room. */
  private live: Transport | undefined;
  private drainTimer: Subscription | undefined;
  private binary: boolean;
  private stopped = false;
  private currentUrl: string;

  constructor(url: string | URL | UrlProvider, options: MachineOptions | undefined, platform: Platform & { open?: Opener }) {
    const config = resolveOptions(url, options, platform);
    this.config = config;
    this.opener = config.native && platform.open !== undefined ? platform.open : openWeb;
    this.binary = config.format === 'binary';
    this.currentUrl = typeof config.url === 'string' ? config.url : '';
    this.state$ = this.statusSubject.observable;
    this.input$ = this.inputSubject.observable;
    this.dropped$ = this.droppedSubject.observable;
    this.output = { next: (value) => this.send(value), error: noop, complete: noop };
    const quit = (): void => this.quit();
    this.command = {
      next: (command) => {
        if (this.stopped) return;
        if (!COMMANDS.has(command)) {
          throw new TypeError(`command must be one of ${[...COMMANDS].join(', ')}, got ${typeof command === 'string' ? `"${command}"` : typeof command}`);
        }
        // Applied now rather than when the loop gets to the event: a command given inside a
        // state$ callback is handled after the current step, but what is sent next must obey it.
        if (command === Command.USE_TEXT || command === Command.USE_BINARY) this.binary = command === Command.USE_BINARY;
        if (command === Command.QUIT) quit();
        else this.events.next({ type: 'COMMAND', command });
      },
      error: quit,
      complete: quit,
    };

    const policy: Policy = {
      connectTimeout: config.connectTimeout,
      minUptime: config.minUptime,
      keepAlive: config.pingInterval > 0 && (config.native || config.heartbeat !== undefined),
      handshake: config.handshake !== undefined,
      maxAttempts: config.maxAttempts,
      retryDelay: safeRetryDelay(config.retryDelay),
      shouldReconnect: safeShouldReconnect(config.shouldReconnect),
    };
    // One stream of every event (commands, socket, timers, online$) into one `scan` of the pure
    // reducer; one subscriber runs the effects. The stream is a trampoline, so an event raised
    // while effects run is handled after them, in order.
    this.loop.add(
      this.events.observable
        .pipe(scan((step: Step, event: Event) => transition(step[0], event, policy), [initialContext(), []] as Step))
        .subscribe((step) => {
          for (const effect of step[1]) this.run(effect);
        }),
    );
    // online$ before START, so that its current value decides the first state.
    if (config.online$ !== undefined) {
      this.loop.add(
        config.online$.subscribe({
          next: (online) => this.events.next({ type: 'ONLINE', online: Boolean(online) }),
          error: noop, // a broken online$ leaves the machine as it was, not dead
        }),
      );
    }
    this.events.next(START);
  }

  /** The URL of the latest attempt (`''` before a URL provider first answered). */
  get url(): string {
    return this.currentUrl;
  }

  private quit(): void {
    if (this.stopped) return;
    this.stopped = true; // later output and commands are ignored from this moment
    this.events.next(QUIT);
  }

  private run(effect: Effect): void {
    switch (effect.type) {
      case 'status':
        this.statusSubject.next(effect.status);
        break;
      case 'connect':
        this.connect(effect.id);
        break;
      case 'handshake':
        this.handshake(effect.id);
        break;
      case 'flush':
        this.goLive(effect.id);
        break;
      case 'close':
        this.release(effect.id, effect.code);
        break;
      case 'ping':
        this.ping(effect.id);
        break;
      case 'timer': {
        const { name, ms } = effect;
        const event = { type: TIMER_EVENTS[name], id: effect.id } as Event;
        this.timers[name]?.unsubscribe();
        this.timers[name] = this.config.scheduler.schedule(() => {
          this.timers[name] = undefined; // fired: nothing to hold on to (a stable machine keeps no timer but keep-alive)
          this.events.next(event);
        }, ms);
        break;
      }
      case 'keepalive': {
        const attempt = this.attemptNow;
        if (attempt?.id !== effect.id) break;
        const { pingInterval, pongTimeout, scheduler } = this.config;
        const id = effect.id;
        this.timers.keepalive?.unsubscribe();
        this.timers.keepalive = keepAlive(attempt, pingInterval, pongTimeout, scheduler, (type) => this.events.next({ type, id }));
        break;
      }
      case 'cancel':
        this.timers[effect.name]?.unsubscribe();
        this.timers[effect.name] = undefined;
        break;
      case 'stop':
        this.shutdown();
        break;
    }
  }

  private connect(id: number): void {
    const attempt = new Attempt(id, this.inputSubject, this.events, this.config.scheduler);
    this.attemptNow = attempt;
    const { url, headers } = this.config;
    if (typeof url === 'string' && typeof headers !== 'function') {
      this.open(attempt, url, headers);
      return;
    }
    // Providers are called per attempt; a throw, a rejection or a bad value fails this attempt only.
    const url$ = typeof url === 'string' ? of(url) : defer(() => toObservable(url())).pipe(map(normalizeUrl));
    const headers$ = typeof headers === 'function' ? defer(() => toObservable(headers())).pipe(map((h) => checkHeaders(h, 'headers()'))) : of(headers);
    attempt.work.add(
      combineLatest([url$, headers$])
        .pipe(take(1))
        .subscribe({
          next: ([u, h]) => this.open(attempt, u, h),
          error: (error: unknown) => this.fail(attempt, new ConnectError(`url or headers provider failed: ${describe(error)}`, { cause: error })),
        }),
    );
  }

  private open(attempt: Attempt, url: string, headers: Readonly<Record<string, string>> | undefined): void {
    this.currentUrl = url;
    try {
      attempt.transport = this.opener(this.config, { url, protocols: this.config.protocols, headers }, attempt);
    } catch (error) {
      this.fail(attempt, new ConnectError(`could not open a WebSocket: ${describe(error)}`, { cause: error }));
    }
  }

  /**
   * Reports a failure raised by our own call (a provider or constructor that threw) on the next
   * tick, as a socket would: the first attempt starts inside the constructor, and its failure must
   * reach subscribers who subscribe right after `new`.
   */
  private fail(attempt: Attempt, error: Error): void {
    attempt.work.add(this.config.scheduler.schedule(() => attempt.fail(error)));
  }

  private handshake(id: number): void {
    const attempt = this.attemptNow;
    const transport = attempt?.transport;
    const handshake = this.config.handshake;
    if (attempt?.id !== id || transport === undefined || handshake === undefined) return;
    const frames = new Subject<Message>();
    attempt.link = frames;
    const link: Link = {
      send: (message) => {
        if (!transport.send(toMessage(message), this.binary)) throw new Error('the handshake socket is not open');
      },
      input$: frames.asObservable(),
    };
    let settled = false;
    const settle = (event: Event): void => {
      if (settled) return;
      settled = true;
      this.events.next(event);
    };
    attempt.work.add(
      defer(() => from(handshake(link))).subscribe({
        next: () => settle({ type: 'READY', id }),
        complete: () => settle({ type: 'READY', id }),
        error: (error: unknown) => settle({ type: 'FAILED', id, error: new HandshakeError(`handshake failed: ${describe(error)}`, { cause: error }) }),
      }),
    );
  }

  private goLive(id: number): void {
    const attempt = this.attemptNow;
    if (attempt?.id !== id || attempt.transport === undefined) return;
    attempt.work.unsubscribe(); // a settled handshake has nothing more to say
    attempt.link?.complete();
    attempt.link = undefined;
    this.live = attempt.transport;
    this.drain();
  }

  private release(id: number, code: number | undefined): void {
    const attempt = this.attemptNow;
    if (attempt?.id !== id) return;
    this.attemptNow = undefined;
    if (this.live === attempt.transport) this.live = undefined;
    this.drainTimer?.unsubscribe();
    this.drainTimer = undefined;
    attempt.work.unsubscribe();
    attempt.link?.complete();
    attempt.transport?.close(code);
  }

  private ping(id: number): void {
    const transport = this.live;
    if (this.attemptNow?.id !== id || transport === undefined) return;
    const heartbeat = this.config.heartbeat;
    if (!transport.ping() && heartbeat !== undefined) transport.send(heartbeat, this.binary);
  }

  /** `output.next`: validate, then send at once when the socket has room, else queue. */
  private send(value: Sendable): void {
    if (this.stopped) return;
    const message = toMessage(value);
    const live = this.live;
    if (live !== undefined && this.queue.length === 0 && live.bufferedAmount <= this.config.highWaterMark && live.send(message, this.binary)) {
      return;
    }
    this.enqueue(message);
    if (live !== undefined) this.scheduleDrain();
  }

  private enqueue(message: Message): void {
    const { maxQueue, overflow } = this.config;
    if (this.queue.length >= maxQueue) {
      if (overflow === 'drop-newest' || maxQueue === 0) {
        this.droppedSubject.next(message);
        return;
      }
      this.droppedSubject.next(this.queue.shift() as Message);
    }
    this.queue.push(message);
  }

  /** Sends queued messages, oldest first, while the socket is open and has room. */
  private drain(): void {
    const live = this.live;
    if (live === undefined) return;
    const { highWaterMark } = this.config;
    while (this.queue.length > 0) {
      if (live.bufferedAmount > highWaterMark) {
        this.scheduleDrain();
        return;
      }
      if (!live.send(this.queue.peek() as Message, this.binary)) return; // closing: the drop will follow
      this.queue.shift();
    }
  }

  private scheduleDrain(): void {
    if (this.drainTimer !== undefined && !this.drainTimer.closed) return;
    this.drainTimer = this.config.scheduler.schedule(() => {
      this.drainTimer = undefined;
      this.drain();
    }, DRAIN_POLL_MS);
  }

  private shutdown(): void {
    this.stopped = true;
    for (const name of Object.keys(this.timers) as TimerName[]) this.timers[name]?.unsubscribe();
    this.drainTimer?.unsubscribe();
    if (this.attemptNow !== undefined) this.release(this.attemptNow.id, 1000);
    // Nothing is lost silently: what is still queued goes out on dropped$ before it completes.
    for (const message of this.queue.drain()) this.droppedSubject.next(message);
    this.statusSubject.complete();
    this.inputSubject.complete();
    this.droppedSubject.complete();
    this.loop.unsubscribe();
  }
}
