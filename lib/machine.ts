import { type Observable, type Observer, Subscription, config as rxjsConfig, scan } from 'rxjs';
import { Attempt, type AttemptHost } from './attempt.js';
import { resolveOptions, type Config } from './config.js';
import { toMessage } from './message.js';
import { Multicast } from './multicast.js';
import type { MachineOptions, UrlProvider } from './options.js';
import { Outbox } from './outbox.js';
import type { Platform } from './platform.js';
import { policyOf } from './policy.js';
import { initialContext, transition, type Effect, type Event, type Step } from './reducer.js';
import { Timers } from './timers.js';
import { Trampoline } from './trampoline.js';
import type { Transport } from './transport.js';
import { Command, type Message, type Sendable, type Status } from './types.js';

const COMMANDS: ReadonlySet<unknown> = new Set(Object.values(Command));
const START: Event = { type: 'START' };
const QUIT: Event = { type: 'COMMAND', command: Command.QUIT };
const noop = (): void => {};

/**
 * A WebSocket connection that stays up: a state machine that connects, reads and writes messages,
 * keeps the connection alive with pings, reconnects when it drops and waits between failed
 * attempts. It starts when constructed; `Command.QUIT` (or `command.complete()`) stops it.
 * `Machine` from `'ws-machine'` is this class with the platform's sockets (`ws` on Node, the
 * page's WebSocket in browsers).
 *
 * - `state$`: every status (`CONNECTING`, `CONNECTED`, `DISCONNECTED`, `WAITING`), the current one
 *   replayed to each new subscriber; failures arrive as `Status.error`, the stream never errors.
 * - `input$`: received messages (text as `string`, binary as `Uint8Array`). It is hot: subscribe
 *   before the connection opens (synchronously after construction is fine).
 * - `output`: an Observer to send through; messages are queued while not connected and flushed in
 *   order on connect. Binary frames by default, text after `Command.USE_TEXT`.
 * - `command`: an Observer of `Command`s.
 * - `dropped$`: every message the bounded queue gave up.
 *
 * @example
 * ```ts
 * import { Machine, Command } from 'ws-machine';
 *
 * const machine = new Machine('ws://127.0.0.1:8080/echo', { format: 'text' });
 * machine.state$.subscribe((s) => console.log(s.state, s.error?.message ?? ''));
 * machine.input$.subscribe((m) => console.log('got', m));
 * machine.output.next('hello'); // queued until CONNECTED, then sent
 * setTimeout(() => machine.command.next(Command.QUIT), 1000);
 * ```
 */
export class MachineCore implements AttemptHost {
  /** Every status change; replays the current status to each new subscriber; never errors. */
  readonly state$: Observable<Status>;
  /** Received messages, in order: text as `string`, binary as `Uint8Array`; never errors. */
  readonly input$: Observable<Message>;
  /** Messages to send; queued while not CONNECTED. Its `complete()`/`error()` do not stop the machine. */
  readonly output: Observer<Sendable>;
  /** Commands; `complete()` or `error()` stops the machine like `Command.QUIT`. */
  readonly command: Observer<Command>;

  /** @internal */ readonly config: Config;
  /** @internal */ readonly platform: Platform;
  private readonly statusCast = new Multicast<Status>(true);
  private readonly inputCast = new Multicast<Message>();
  private readonly events = new Trampoline<Event>();
  private readonly outbox: Outbox;
  private readonly timers: Timers;
  private readonly loop = new Subscription();
  /** The attempt under way or connected; undefined while waiting or stopped. */
  private current: Attempt | undefined;
  /** Set by QUIT at once (the loop may be busy): later `output` and `command` calls are ignored. */
  private quitting = false;
  private latestUrl: string;

  /**
   * @param url - `ws:`, `wss:`, `http:` or `https:` URL, or a function giving one (or a Promise of
   *   one) before every attempt.
   * @param options - see {@link MachineOptions}.
   * @param platform - the sockets to drive: given by the `Machine` of each entry point.
   * @throws TypeError, SyntaxError or RangeError naming the URL or option that is wrong.
   */
  constructor(url: string | URL | UrlProvider, options: MachineOptions | undefined, platform: Platform) {
    const config = resolveOptions(url, options, platform);
    this.config = config;
    this.platform = platform;
    this.latestUrl = typeof config.url === 'string' ? config.url : '';
    this.outbox = new Outbox(config, config.format === 'binary');
    this.timers = new Timers(config.scheduler, (event) => this.events.next(event));
    this.state$ = this.statusCast.observable;
    this.input$ = this.inputCast.observable;
    this.output = { next: (value) => this.send(value), error: noop, complete: noop };
    const quit = (): void => this.quit();
    this.command = { next: (command) => this.give(command), error: quit, complete: quit };

    const policy = policyOf(config, reportLater(config));
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
    return this.latestUrl;
  }

  /** Every message the bounded queue gave up (overflow, or still queued at stop). */
  get dropped$(): Observable<Message> {
    return this.outbox.dropped$;
  }

  /** @internal */ event(event: Event): void {
    this.events.next(event);
  }

  /** @internal */ message(message: Message): void {
    this.inputCast.next(message);
  }

  /** @internal */ opening(url: string): void {
    this.latestUrl = url;
  }

  /** @internal */ sendNow(transport: Transport, message: Sendable): boolean {
    return this.outbox.sendNow(transport, toMessage(message));
  }

  private send(value: Sendable): void {
    if (!this.quitting) this.outbox.send(toMessage(value));
  }

  private give(command: Command): void {
    if (this.quitting) return;
    if (!COMMANDS.has(command)) {
      throw new TypeError(`command must be one of ${[...COMMANDS].join(', ')}, got ${typeof command === 'string' ? `"${command}"` : typeof command}`);
    }
    // The frame format and QUIT apply the moment they are given, not when the loop gets to them:
    // a command given inside a state$ callback waits for the current step, but what is sent next
    // must already obey it.
    if (command === Command.USE_TEXT || command === Command.USE_BINARY) this.outbox.binary = command === Command.USE_BINARY;
    else if (command === Command.QUIT) this.quit();
    else this.events.next({ type: 'COMMAND', command });
  }

  private quit(): void {
    if (this.quitting) return;
    this.quitting = true;
    this.events.next(QUIT);
  }

  /** The dispatcher: one handler per effect, named after it. */
  private run(effect: Effect): void {
    switch (effect.type) {
      case 'status':
        return this.statusCast.next(effect.status);
      case 'connect':
        return this.connect(effect.id);
      case 'handshake':
        return this.ifCurrent(effect.id)?.handshake();
      case 'flush':
        return this.flush(effect.id);
      case 'close':
        return this.close(effect.id, effect.code);
      case 'ping':
        return this.ping(effect.id);
      case 'timer':
        return this.timers.start(effect.name, effect.id, effect.ms);
      case 'keepalive':
        return this.keepalive(effect.id);
      case 'cancel':
        return this.timers.cancel(effect.name);
      case 'stop':
        return this.stop();
    }
  }

  private ifCurrent(id: number): Attempt | undefined {
    return this.current?.id === id ? this.current : undefined;
  }

  private connect(id: number): void {
    this.current = new Attempt(id, this);
    this.current.start();
  }

  private flush(id: number): void {
    const attempt = this.ifCurrent(id);
    if (attempt?.transport === undefined) return;
    attempt.settle();
    this.outbox.attach(attempt.transport);
  }

  private close(id: number, code: number | undefined): void {
    const attempt = this.ifCurrent(id);
    if (attempt === undefined) return;
    this.current = undefined;
    this.outbox.detach();
    attempt.release(code);
  }

  private ping(id: number): void {
    const transport = this.ifCurrent(id)?.transport;
    const heartbeat = this.config.heartbeat;
    if (transport !== undefined && !transport.ping() && heartbeat !== undefined) this.outbox.sendNow(transport, heartbeat);
  }

  private keepalive(id: number): void {
    const attempt = this.ifCurrent(id);
    if (attempt !== undefined) this.timers.keepAlive(id, attempt, this.config.pingInterval, this.config.pongTimeout);
  }

  private stop(): void {
    this.quitting = true;
    this.timers.cancelAll();
    if (this.current !== undefined) this.close(this.current.id, 1000);
    this.outbox.dispose();
    this.statusCast.complete();
    this.inputCast.complete();
    this.loop.unsubscribe();
  }
}

/**
 * Reports what a user callback did wrong the way RxJS reports an observer's throw: on a later tick
 * of the machine's scheduler, through `config.onUnhandledError` when set.
 */
function reportLater(config: Config): (option: string, problem: unknown) => void {
  return (_option, problem) => {
    config.scheduler.schedule(() => {
      const handler = rxjsConfig.onUnhandledError;
      if (handler) handler(problem);
      else throw problem;
    });
  };
}
