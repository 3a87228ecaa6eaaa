// An Angular service that owns one ws-machine Machine. Copy it into an app and adapt.
import { DestroyRef, Injectable, InjectionToken, NgZone, inject, type Provider, type Signal } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { Observable, filter, map, type MonoTypeOperatorFunction, type OperatorFunction } from 'rxjs';
import { Command, Machine, State, type MachineOptions, type Message, type Status, type UrlProvider } from 'ws-machine';

/** Where to connect, how, and how to turn a received message into a `T`. */
export interface WsMachineConfig<T> {
  url: string | URL | UrlProvider;
  options?: MachineOptions;
  /**
   * Turns a message into a `T`; throw (or return `undefined`) to skip it.
   * Default: `JSON.parse` of the text (binary frames are read as UTF-8).
   */
  parse?: (message: Message) => T | undefined;
}

/** The configuration of the nearest {@link WsMachineService}. */
export const WS_MACHINE_CONFIG = new InjectionToken<WsMachineConfig<unknown>>('ws-machine config');

/**
 * Provides a {@link WsMachineService} with its configuration, in a component's `providers`
 * (one connection per component instance, closed with it) or in `bootstrapApplication`'s
 * (one for the whole app).
 */
export function provideWsMachine<T>(config: WsMachineConfig<T>): Provider[] {
  return [{ provide: WS_MACHINE_CONFIG, useValue: config }, WsMachineService];
}

const decoder = new TextDecoder();

function parseJson<T>(message: Message): T {
  return JSON.parse(typeof message === 'string' ? message : decoder.decode(message)) as T;
}

// Delivers a source's notifications inside Angular's zone, so zone-based change detection sees them.
function enterZone<T>(zone: NgZone): MonoTypeOperatorFunction<T> {
  return (source) =>
    new Observable<T>((subscriber) =>
      source.subscribe({
        next: (value) => zone.run(() => subscriber.next(value)),
        error: (error: unknown) => zone.run(() => subscriber.error(error)),
        complete: () => zone.run(() => subscriber.complete()),
      }),
    );
}

function parseWith<T>(parse: (message: Message) => T | undefined): OperatorFunction<Message, T> {
  return (source) =>
    source.pipe(
      map((message) => {
        try {
          return parse(message);
        } catch {
          return undefined; // a message that does not parse is skipped, not fatal to the stream
        }
      }),
      filter((value): value is T => value !== undefined),
    );
}

/**
 * One WebSocket connection that stays up, for the injector that provides it (see
 * {@link provideWsMachine}). The machine starts when the service is created and QUITs when its
 * injector is destroyed.
 *
 * The machine's timers (keep-alive, retry waits, connect timeouts) and socket callbacks run
 * outside Angular's zone, so they never keep zone.js from becoming stable (SSR, `whenStable`,
 * tests) and never trigger change detection on their own; what the UI consumes comes back into
 * the zone. Without zone.js (zoneless apps) `NgZone` is a no-op and the signals and `async` pipe
 * schedule change detection themselves.
 */
@Injectable()
export class WsMachineService<T = unknown> {
  readonly #zone = inject(NgZone);
  readonly #config = inject(WS_MACHINE_CONFIG) as WsMachineConfig<T>;
  readonly #machine: Machine = this.#zone.runOutsideAngular(() => new Machine(this.#config.url, this.#config.options));

  /** Every status of the connection, replaying the current one; for the `async` pipe. */
  readonly state$: Observable<Status> = this.#machine.state$.pipe(enterZone(this.#zone));
  /** Received messages, parsed into `T`; for the `async` pipe. */
  readonly messages$: Observable<T> = this.#machine.input$.pipe(
    parseWith(this.#config.parse ?? parseJson<T>),
    enterZone(this.#zone),
  );

  /** The current status, as a signal (state$ replays synchronously, so it has a value at once). */
  readonly status: Signal<Status> = toSignal(this.state$, { requireSync: true });
  /** Whether the connection is up right now. */
  readonly connected: Signal<boolean> = toSignal(this.state$.pipe(map((s) => s.state === State.CONNECTED)), { requireSync: true });
  /** The latest message, as a signal (`undefined` until the first one). */
  readonly latest: Signal<T | undefined> = toSignal(this.messages$);

  constructor() {
    inject(DestroyRef).onDestroy(() => this.command(Command.QUIT));
  }

  /** The URL of the latest attempt. */
  get url(): string {
    return this.#machine.url;
  }

  /** Sends `value` as JSON (queued while not connected, as the machine does). */
  send(value: unknown): void {
    const text = JSON.stringify(value);
    this.#zone.runOutsideAngular(() => this.#machine.output.next(text));
  }

  /** Sends a message as it is: text, or bytes as a binary frame. */
  sendRaw(message: string | Uint8Array): void {
    this.#zone.runOutsideAngular(() => this.#machine.output.next(message));
  }

  /** Tells the machine what to do (`Command.RECONNECT`, `Command.PING`, `Command.QUIT` …). */
  command(command: Command): void {
    // Whatever the command starts (a new socket, a timer) must start outside the zone too.
    this.#zone.runOutsideAngular(() => this.#machine.command.next(command));
  }
}
