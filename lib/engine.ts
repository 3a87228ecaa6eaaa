import { type Observable, type Observer, scan, Subscription, type TeardownLogic } from 'rxjs';
import { Attempt, type AttemptHost } from './attempt.js';
import type { ChannelHost } from './channel.js';
import type { Config } from './config.js';
import { CallbackError, DecodeError, reportUnhandled, type MachineError } from './errors.js';
import { toMessage } from './message.js';
import { Multicast } from './multicast.js';
import { Outbox, type OutboxHost, type Parcel } from './outbox.js';
import type { UrlProvider } from './options.js';
import { keepAliveOn, retryDelayOf, shouldReconnectOn, type PolicyHost } from './policy.js';
import { SEED, transition, type Effect, type Event, type LoopCommand, type Policy, type Step } from './reducer.js';
import type { RequestHost } from './request.js';
import { Counters } from './stats.js';
import { LeanSubscription } from './subscription.js';
import { Timers } from './timers.js';
import { Trampoline } from './trampoline.js';
import type { Transport } from './transport.js';
import { Command, State, type Message, type Sendable, type Status } from './types.js';

const START: Event = { type: 'START' };
const QUIT: Event = { type: 'COMMAND', command: Command.QUIT };
function ignore(): void {
  // A broken online$ leaves the machine as it was, not dead.
}
/** What the loop folds: an event, and the policy of the machine it was raised in (its engine). */
type Input = readonly [event: Event, policy: Policy];

/**
 * The fold: the next step from the previous one, under the policy the event came with. The policy
 * travels with each event rather than in an accumulator bound to each machine, so this one `scan`
 * operator serves every machine: a machine's loop is then scan's subscription alone, where its own
 * operator and bound accumulator were 120 bytes more. The pair is one small array per event, and
 * events are rare: messages never go through the loop.
 */
function advance(step: Step, input: Input): Step {
  return transition(step[0], input[0], input[1]);
}
const LOOP = scan(advance, SEED);

/**
 * The running machine behind the public `Machine`: one `scan` of the pure reducer over one stream
 * of events (commands, socket, timers, `online$`), and the dispatcher that runs its effects, one
 * handler per effect, named after it. Messages bypass the reducer both ways: socket → `input$`
 * through `message`, `output` → socket through the outbox.
 */
export class Engine<In, Out>
  extends LeanSubscription
  implements Observer<Step>, Policy, PolicyHost, AttemptHost, ChannelHost<In, Out>, RequestHost<In>, OutboxHost
{
  readonly statusCast = new Multicast<Status>(true);
  readonly inputCast = new Multicast<In>();
  readonly counters = new Counters();
  /** The frame format from now on: USE_TEXT and USE_BINARY set it the moment they are given. */
  binary: boolean;
  /** The socket of the CONNECTED attempt, from its flush to its close: what the outbox sends on. */
  live: Transport | undefined;
  /** Joins live channels on CONNECTED; set by the machine when the first channel is opened. */
  rejoin: (() => void) | undefined;
  /** Set by QUIT at once (the loop may be busy): later `output` and `command` calls are ignored. */
  stopped = false;
  latestUrl: string;
  private readonly events = new Trampoline<Input>();
  private readonly timers: Timers;
  /** scan's subscriber: the one teardown the loop ever adds (see `add`). */
  private upstream: Subscription | undefined;
  /** Made when first asked for: most machines never have an error to report. */
  private errorCast: Multicast<MachineError> | undefined;
  /** Made when first used (see `outbox`). */
  private box: Outbox | undefined;
  /** The attempt under way or connected; undefined while waiting or stopped. */
  private current: Attempt | undefined;
  /** When the unanswered ping (pong expected) or heartbeat (any message expected) went out. */
  private pingAt: number | undefined;
  private heartbeatAt: number | undefined;

  constructor(
    readonly target: string | UrlProvider,
    readonly config: Config,
  ) {
    super();
    this.latestUrl = typeof target === 'string' ? target : '';
    this.binary = config.format === 'binary';
    this.timers = new Timers(this);
    // The stream is a trampoline, so an event raised while effects run is handled after them, in
    // order. The engine is the loop's subscriber itself (a Subscription with `next`, `error` and
    // `complete`, which RxJS takes as it is), so the loop costs no SafeSubscriber and observer
    // objects; it ends when the engine unsubscribes.
    this.events.pipe(LOOP).subscribe(this);
    // online$ before START, so that its current value decides the first state. Its subscription
    // goes with the loop's (a finalizer: only machines with an online$ pay for one).
    const online = (config.online$ ?? config.platform.online$?.())?.subscribe({
      next: (online) => this.event({ type: 'ONLINE', online: Boolean(online as unknown) }), // untyped callers: any truthy value
      error: ignore,
    });
    if (online !== undefined) this.add(online);
    this.event(START);
  }

  // Policy: what the reducer reads, from the config, user callbacks made total (policy.ts). Read
  // when the reducer asks (once per transition at most), not copied.

  get connectTimeout(): number {
    return this.config.connectTimeout;
  }

  get minUptime(): number {
    return this.config.minUptime;
  }

  get keepAlive(): boolean {
    return keepAliveOn(this.config);
  }

  get handshake(): boolean {
    return this.config.handshake !== undefined;
  }

  get maxAttempts(): number {
    return this.config.maxAttempts;
  }

  retryDelay(attempt: number): number {
    return retryDelayOf(this, attempt);
  }

  shouldReconnect(error: Error): boolean {
    return shouldReconnectOn(this, error);
  }

  /** The loop's steps: runs each one's effects, in order. */
  next(step: Step): void {
    const effects = step[1];
    if (this.closed || effects.length === 0) return;
    // The step's timer changes reach the scheduler once, when they are all made (Clock.hold).
    const clock = this.config.clock;
    clock.hold();
    try {
      for (const effect of effects) this.run(effect);
    } finally {
      clock.release();
    }
  }

  /** Only a bug ends the loop this way (the reducer threw); it is reported as RxJS would. */
  error(error: unknown): void {
    this.unsubscribe();
    reportUnhandled(error);
  }

  complete(): void {
    // The trampoline never completes: the loop ends by QUIT.
  }

  /**
   * scan's subscriber adds itself here when the loop starts: held in a field rather than in the
   * finalizer array RxJS would make for it (184 bytes a machine). Anything else goes the usual way.
   */
  override add(teardown: TeardownLogic): void {
    if (this.upstream === undefined && teardown instanceof Subscription && !this.closed) this.upstream = teardown;
    else super.add(teardown);
  }

  override unsubscribe(): void {
    if (this.closed) return;
    super.unsubscribe();
    this.upstream?.unsubscribe();
  }

  /**
   * The output path, made on the first send or request, the first channel join, or the first look
   * at `dropped$`: a machine that only listens never needs one.
   */
  get outbox(): Outbox {
    let box = this.box;
    if (box === undefined) {
      box = this.box = new Outbox(this);
      if (this.closed) box.dispose(); // asked for after the stop: it takes nothing, and dropped$ ends
    }
    return box;
  }

  get errors$(): Observable<MachineError> {
    if (this.errorCast === undefined) {
      this.errorCast = new Multicast<MachineError>();
      if (this.closed) this.errorCast.end();
    }
    return this.errorCast.observable;
  }

  get input$(): Observable<In> {
    return this.inputCast.observable;
  }

  get state$(): Observable<Status> {
    return this.statusCast.observable;
  }

  get scheduler(): Config['scheduler'] {
    return this.config.scheduler;
  }

  get clock(): Config['clock'] {
    return this.config.clock;
  }

  command(command: LoopCommand): void {
    if (command !== Command.QUIT) this.event({ type: 'COMMAND', command });
    else if (!this.stopped) {
      this.stopped = true;
      this.event(QUIT);
    }
  }

  /** Encodes a value to send: through the codec when there is one; a refusal is a TypeError. */
  encode(value: Out): Message {
    const codec = this.config.codec;
    if (codec === undefined) return toMessage(value);
    let encoded: unknown;
    try {
      encoded = codec.encode(value);
    } catch (error) {
      throw new TypeError(`the codec refused a value to send: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    return toMessage(encoded);
  }

  send(value: Out): void {
    if (!this.stopped) this.outbox.send(this.encode(value));
  }

  report(option: string, cause: unknown): void {
    this.errorCast?.emit(new CallbackError(option, cause));
  }

  // AttemptHost, ChannelHost, RequestHost: what the parts call back.

  /** Into the loop, with this machine's policy (see `advance`). */
  event(event: Event): void {
    this.events.next([event, this]);
  }

  // The hot path: counted, decoded once, then to every subscriber of input$.
  message(message: Message, bytes: number): void {
    const counters = this.counters;
    counters.messagesIn++;
    counters.bytesIn += bytes;
    if (this.heartbeatAt !== undefined) this.answered('heartbeat', this.config.clock.now());
    const codec = this.config.codec;
    if (codec === undefined) {
      this.inputCast.emit(message as In);
      return;
    }
    let value: In;
    try {
      value = codec.decode(message) as In;
    } catch (error) {
      counters.decodeErrors++;
      this.errorCast?.emit(new DecodeError(message, error));
      return;
    }
    this.inputCast.emit(value);
  }

  pong(now: number): void {
    if (this.pingAt !== undefined) this.answered('ping', now);
    this.timers.answered();
  }

  opening(url: string): void {
    this.latestUrl = url;
  }

  /** Sends on `transport` now, past the queue and the counters (handshake and heartbeat messages). */
  sendNow(transport: Transport, message: Sendable): boolean {
    return transport.send(toMessage(message), this.binary) >= 0;
  }

  sendAhead(message: Message): boolean {
    return this.outbox.sendAhead(message);
  }

  post(parcel: Parcel): void {
    this.outbox.send(parcel);
  }

  /** The dispatcher: one handler per effect, named after it. */
  private run(effect: Effect): void {
    switch (effect.type) {
      case 'status':
        this.status(effect.status);
        break;
      case 'connect':
        this.connect(effect.id);
        break;
      case 'handshake':
        this.ifCurrent(effect.id)?.handshake();
        break;
      case 'flush':
        this.flush(effect.id);
        break;
      case 'close':
        this.close(effect.id, effect.code);
        break;
      case 'ping':
        this.ping(effect.id);
        break;
      case 'timer':
        this.timers.start(effect.name, effect.id, effect.ms);
        break;
      case 'keepalive':
        this.keepAliveFor(effect.id);
        break;
      case 'cancel':
        this.timers.cancel(effect.name);
        break;
      case 'stop':
        this.stop();
        break;
    }
  }

  private ifCurrent(id: number): Attempt | undefined {
    return this.current?.id === id ? this.current : undefined;
  }

  private status(status: Status): void {
    const counters = this.counters;
    if (status.state === State.CONNECTED) {
      counters.connects++;
      counters.connectedSince = this.config.clock.now();
    } else {
      counters.connectedSince = undefined;
      if (status.error !== undefined) {
        if (this.statusCast.value?.state === State.CONNECTED) counters.drops++;
        else counters.failures++;
      }
    }
    this.statusCast.emit(status);
  }

  private connect(id: number): void {
    this.current = new Attempt(id, this);
    this.current.start();
  }

  /** CONNECTED: live channels join first, then the queue is flushed, then sends go straight out. */
  private flush(id: number): void {
    const attempt = this.ifCurrent(id);
    if (attempt?.transport === undefined) return;
    attempt.settle();
    this.live = attempt.transport;
    // Joins go ahead of the queue (sendAhead), so they run before it drains.
    this.rejoin?.();
    this.box?.attached();
  }

  private close(id: number, code: number | undefined): void {
    const attempt = this.ifCurrent(id);
    if (attempt === undefined) return;
    this.current = undefined;
    this.pingAt = this.heartbeatAt = undefined;
    this.live = undefined;
    this.box?.detached();
    attempt.release(code);
  }

  private ping(id: number): void {
    const transport = this.ifCurrent(id)?.transport;
    if (transport === undefined) return;
    const now = this.config.clock.now();
    if (transport.ping()) this.pingAt ??= now;
    else if (this.config.heartbeat !== undefined && this.sendNow(transport, this.config.heartbeat)) this.heartbeatAt ??= now;
  }

  private answered(by: 'ping' | 'heartbeat', now: number): void {
    const sentAt = by === 'ping' ? this.pingAt : this.heartbeatAt;
    if (sentAt !== undefined) this.counters.rtt = now - sentAt;
    this.pingAt = this.heartbeatAt = undefined;
  }

  private keepAliveFor(id: number): void {
    const attempt = this.ifCurrent(id);
    if (attempt !== undefined) this.timers.keepAlive(attempt, this.config);
  }

  private stop(): void {
    this.stopped = true;
    this.timers.cancelAll();
    if (this.current !== undefined) this.close(this.current.id, 1000);
    this.box?.dispose();
    this.statusCast.end();
    this.inputCast.end();
    this.errorCast?.end();
    this.unsubscribe();
  }
}
