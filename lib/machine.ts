import type { Observable, Observer } from 'rxjs';
import { Channels, type ChannelSpec } from './channel.js';
import { resolveOptions, resolveUrl } from './config.js';
import { Engine } from './engine.js';
import type { MachineError } from './errors.js';
import type { MachineOptions, UrlProvider } from './options.js';
import type { Platform } from './platform.js';
import { request, requestTimeout, type RequestOptions } from './request.js';
import type { Stats } from './stats.js';
import { Command, type Message, type Sendable, type Status } from './types.js';

const COMMANDS: ReadonlySet<unknown> = new Set(Object.values(Command));

/**
 * A WebSocket connection that stays up: a state machine that connects, reads and writes messages,
 * keeps the connection alive with pings, reconnects when it drops and waits between failed
 * attempts. It starts when constructed; `Command.QUIT` (or `command.complete()`) stops it.
 * `Machine` from `'ws-machine'` is this class on the platform's sockets (`ws` on Node, the page's
 * WebSocket in browsers).
 *
 * - `state$`: every status (`CONNECTING`, `CONNECTED`, `DISCONNECTED`, `WAITING`), the current one
 *   replayed to each new subscriber; failures arrive as `Status.error`, the stream never errors.
 * - `input$`: received messages (text as `string`, binary as `Uint8Array`, or the codec's values).
 *   It is hot: subscribe before the connection opens (synchronously after construction is fine).
 * - `output`: an Observer to send through; messages are queued while not connected and flushed in
 *   order on connect. Binary frames by default, text after `Command.USE_TEXT`.
 * - `command`: an Observer of `Command`s.
 * - `dropped$`, `errors$`, `channel()`, `request()`, `stats()`, `status`: see each.
 *
 * @typeParam In - what `input$` emits: `Message` without a codec, the codec's decoded type with one.
 * @typeParam Out - what `output` accepts: `Sendable` without a codec, the codec's input with one.
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
export class MachineCore<In = Message, Out = Sendable> {
  private readonly engine: Engine<In, Out>;
  private channels: Channels<In, Out> | undefined;
  // Made when first asked for: a machine that only listens never needs either.
  private outputObserver: OutputObserver<In, Out> | undefined;
  private commandObserver: CommandObserver<In, Out> | undefined;

  /**
   * @param url - `ws:`, `wss:`, `http:` or `https:` URL, or a function giving one (or a Promise of
   *   one) before every attempt.
   * @param options - see {@link MachineOptions}.
   * @param platform - the sockets to drive: given by the `Machine` of each entry point.
   * @throws TypeError, SyntaxError or RangeError naming the URL or option that is wrong.
   */
  constructor(url: string | URL | UrlProvider, options: MachineOptions<In, Out> | undefined, platform: Platform) {
    const engine = new Engine<In, Out>(resolveUrl(url), resolveOptions(options, platform));
    this.engine = engine;
  }

  /** Every status change; replays the current status to each new subscriber; never errors. */
  get state$(): Observable<Status> {
    return this.engine.state$;
  }

  /** Received messages (or the codec's values), in order; never errors; completes when the machine stops. */
  get input$(): Observable<In> {
    return this.engine.input$;
  }

  /** Messages to send; queued while not CONNECTED. Its `complete()`/`error()` do not stop the machine. */
  get output(): Observer<Out> {
    return (this.outputObserver ??= new OutputObserver(this.engine));
  }

  /** Commands; `complete()` or `error()` stops the machine like `Command.QUIT`. */
  get command(): Observer<Command> {
    return (this.commandObserver ??= new CommandObserver(this.engine));
  }

  /** The URL of the latest attempt (`''` before a URL provider first answered). */
  get url(): string {
    return this.engine.latestUrl;
  }

  /** The current status, synchronously: the value `state$` would replay. */
  get status(): Status {
    return this.engine.statusCast.value as Status;
  }

  /** Every message the bounded queue gave up (overflow, or still queued at stop); completes at stop. */
  get dropped$(): Observable<Message> {
    return this.engine.outbox.dropped$;
  }

  /**
   * Every error the machine survived: `DecodeError`s, and `CallbackError`s for user callbacks that
   * threw or returned an unusable value. Never errors; completes when the machine stops.
   */
  get errors$(): Observable<MachineError> {
    return this.engine.errors$;
  }

  /** A snapshot of the counters: connects, drops, messages and bytes both ways, rtt … */
  stats(): Stats {
    return this.engine.counters.snapshot(this.engine.clock.epoch);
  }

  /**
   * A channel: one server-side subscription shared by every subscriber, joined again on every
   * CONNECTED while it has subscribers (before anything queued is sent), left when the last one
   * goes. It emits the `input$` values that pass `filter`, and completes when the machine stops.
   */
  channel<T extends In = In>(spec: ChannelSpec<In, Out, T>): Observable<T> {
    if (this.channels === undefined) {
      const channels = new Channels<In, Out>(this.engine);
      this.channels = channels;
      this.engine.rejoin = () => channels.rejoin();
    }
    return this.channels.open(spec);
  }

  /**
   * A request: lazy; on subscription `message` is sent (or queued while not CONNECTED) and the first
   * value received after it was sent that `match`es is emitted, then it completes. It fails with a
   * `RequestError` on `timeout`, on a drop of the connection that carried it, on overflow, or when
   * the machine stops. Throws at once for a value the codec refuses or a bad `timeout`.
   */
  request<R extends In = In>(message: Out, options: RequestOptions<In, R>): Observable<R> {
    const timeout = requestTimeout(options);
    if (typeof options.match !== 'function') throw new TypeError('request match must be a function (message) => boolean');
    return request<In, R>(this.engine, this.engine.encode(message), options.match, timeout);
  }
}

/** `machine.output`: one small object per machine, its methods on the prototype. */
class OutputObserver<In, Out> implements Observer<Out> {
  constructor(private readonly engine: Engine<In, Out>) {}

  next(value: Out): void {
    this.engine.send(value);
  }

  error(): void {
    // The end of a stream piped into the socket does not stop the machine.
  }

  complete(): void {
    // As error().
  }
}

/** `machine.command`: validates, then hands the command to the engine; its end is QUIT. */
class CommandObserver<In, Out> implements Observer<Command> {
  constructor(private readonly engine: Engine<In, Out>) {}

  next(command: Command): void {
    const engine = this.engine;
    if (engine.stopped) return;
    if (!COMMANDS.has(command)) {
      throw new TypeError(
        `command must be one of ${[...COMMANDS].join(', ')}, got ${typeof command === 'string' ? `"${command}"` : typeof command}`,
      );
    }
    // The frame format applies the moment it is given, not when the loop gets to it: a command
    // given inside a state$ callback waits for the current step, but what is sent next must obey it.
    if (command === Command.USE_TEXT || command === Command.USE_BINARY) engine.binary = command === Command.USE_BINARY;
    else engine.command(command);
  }

  error(): void {
    this.engine.command(Command.QUIT);
  }

  complete(): void {
    this.engine.command(Command.QUIT);
  }
}
