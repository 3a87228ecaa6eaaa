// What injectMachine does, shared by the Node and browser entry points (index.ts and
// index.browser.ts), which differ only in the Machine class they hand in.
import {
  DestroyRef,
  Injector,
  NgZone,
  PLATFORM_ID,
  afterNextRender,
  assertInInjectionContext,
  inject,
  signal,
  type Signal,
} from '@angular/core';
import { BehaviorSubject, Observable, distinctUntilChanged, fromEvent, map, merge, of, switchMap, type Observer } from 'rxjs';
import type { Command, Machine, MachineError, MachineOptions, Message, Sendable, State, Status, UrlProvider } from '../index.js';

/**
 * The options of {@link injectMachine}: the machine's own ({@link MachineOptions}), and an
 * `injector` for calls outside an injection context.
 *
 * @example
 * ```ts
 * import { injectMachine, type InjectMachineOptions } from 'ws-machine/angular';
 * const options: InjectMachineOptions = { format: 'text', heartbeat: 'ping', pingInterval: 20_000 };
 * const ref = injectMachine('/ws', options);
 * ```
 */
export type InjectMachineOptions<In = Message, Out = Sendable> = MachineOptions<In, Out> & {
  /**
   * The injector whose lifetime the machine shares (it QUITs when that injector is destroyed), for
   * a call outside an injection context; as Angular's own `toSignal` and `afterNextRender` take one.
   */
  injector?: Injector;
};

/**
 * A machine tied to an Angular injection context, with its status as signals.
 *
 * @example
 * ```ts
 * import { computed } from '@angular/core';
 * import { injectMachine, type MachineRef } from 'ws-machine/angular';
 * const ref: MachineRef = injectMachine('/ws');
 * ref.machine.output.next('hello');
 * const up = computed(() => ref.status().state === 'CONNECTED');
 * ```
 */
export interface MachineRef<In = Message, Out = Sendable> {
  /**
   * The machine: the whole `Machine` API. What its `output`, `command`, `channel` and `request`
   * start runs outside Angular's zone, wherever they are called from.
   */
  readonly machine: Machine<In, Out>;
  /** The current status: every `state$` emission, in order. */
  readonly status: Signal<Status>;
  /**
   * The error of the latest status that had one (a connection failure, not `errors$`), kept until
   * the next `CONNECTED`; after a final stop it keeps the last one.
   */
  readonly lastError: Signal<MachineError | undefined>;
}

/** What the entry points hand in: the Node or the browser build's Machine. */
export type MachineClass = new (url: string | URL | UrlProvider, options?: MachineOptions<never, never>) => object;

type Outside = <T>(work: () => T) => T;

/** The window's online/offline state, as the browser build's default `online$` reads it. */
function windowOnline(): Observable<boolean> {
  const window = globalThis as unknown as { navigator?: { onLine?: boolean }; addEventListener?: unknown };
  if (typeof window.addEventListener !== 'function') return of(true);
  const target = globalThis as unknown as EventTarget;
  return merge(
    of(window.navigator?.onLine !== false),
    fromEvent(target, 'online').pipe(map(() => true)),
    fromEvent(target, 'offline').pipe(map(() => false)),
  ).pipe(distinctUntilChanged());
}

/** A URL with a scheme is absolute; anything else ('/ws', 'ws', '//host/ws') is relative to a page. */
const ABSOLUTE = /^[a-z][a-z\d+.-]*:/i;

/** Subscribes to `source` outside the zone, so that whatever the subscription starts stays there. */
function subscribeOutside<T>(source: Observable<T>, outside: Outside): Observable<T> {
  return new Observable<T>((subscriber) => outside(() => source.subscribe(subscriber)));
}

/**
 * Gives the machine's `output`, `command`, `channel` and `request` own properties that do their
 * work outside the zone: a RECONNECT from a click handler opens its socket and starts its timers
 * there, and a request's timeout does not keep the app from becoming stable.
 */
function keepOutside(machine: object, outside: Outside): void {
  const target = machine as Record<string, unknown>;
  for (const name of ['output', 'command'] as const) {
    const observer = target[name] as Observer<unknown>;
    const wrapped: Observer<unknown> = {
      next: (value) => outside(() => observer.next(value)),
      error: (error: unknown) => outside(() => observer.error(error)),
      complete: () => outside(() => observer.complete()),
    };
    Object.defineProperty(machine, name, { value: wrapped, configurable: true, enumerable: true });
  }
  for (const name of ['channel', 'request'] as const) {
    const method = target[name];
    if (typeof method !== 'function') continue;
    const wrapped = (...args: unknown[]): Observable<unknown> =>
      subscribeOutside(
        outside(() => method.apply(machine, args) as Observable<unknown>),
        outside,
      );
    Object.defineProperty(machine, name, { value: wrapped, configurable: true, enumerable: false });
  }
}

/**
 * `injectMachine`: a machine tied to the current injection context (a component's, directive's or service's
 * constructor or field initializer), with its status as signals:
 *
 * - everything the machine does (timers, socket callbacks, and what `output`, `command`,
 *   `channel` and `request` start, from a click handler too) runs outside Angular's zone, so a
 *   zone.js app becomes stable while the machine is connected or waiting; the signals (and the
 *   `async` pipe) update the view with zone.js and without it;
 * - the machine QUITs (close code 1000) when the context is destroyed;
 * - on the server platform no socket opens: the machine rests in `WAITING` without a delay (a
 *   relative URL such as `'/ws'` is accepted there); in the browser it stays so until the first
 *   render is done (after hydration), then connects, a relative URL resolving against the page
 *   (`http:` → `ws:`, `https:` → `wss:`);
 * - every call makes its own machine: an app may hold any number.
 *
 * @param url - where to connect, as for `new Machine(url)`; may be relative to the page.
 * @param options - the machine's options (a `codec` types the messages), and an `injector` for a
 *   call outside an injection context.
 * @throws Angular's NG0203 error outside an injection context without an `injector` option, and
 *   what `new Machine` throws for a bad URL or option.
 *
 * @example
 * ```ts
 * import { Component, computed } from '@angular/core';
 * import { toSignal } from '@angular/core/rxjs-interop';
 * import { Command } from 'ws-machine';
 * import { injectMachine } from 'ws-machine/angular';
 *
 * @Component({
 *   selector: 'app-echo',
 *   template: `
 *     <p>{{ feed.status().state }} {{ feed.lastError()?.message }}</p>
 *     <p>{{ reply() }}</p>
 *     <button (click)="feed.machine.output.next('hello')" [disabled]="!up()">Send</button>
 *     <button (click)="feed.machine.command.next(Command.RECONNECT)">Reconnect</button>
 *   `,
 * })
 * export class EchoComponent {
 *   protected readonly feed = injectMachine('/echo', { format: 'text' });
 *   protected readonly up = computed(() => this.feed.status().state === 'CONNECTED');
 *   protected readonly reply = toSignal(this.feed.machine.input$);
 *   protected readonly Command = Command;
 * }
 * ```
 */
export type InjectMachine = <In = Message, Out = Sendable>(
  url: string | URL | UrlProvider,
  options?: InjectMachineOptions<In, Out>,
) => MachineRef<In, Out>;

/**
 * Makes `injectMachine` for one build of the machine: each entry point (index.ts, Node;
 * index.browser.ts, browsers) hands in its own `Machine`, so that a bundler's `browser` condition
 * decides which one an app gets.
 */
export function injectMachineFor(MachineClass: MachineClass): InjectMachine {
  const injectMachine: InjectMachine = (url, options) => createMachineRef(MachineClass, url, options, injectMachine);
  return injectMachine;
}

/** The body of `injectMachine`; `caller` names it in Angular's "not in an injection context" error. */
export function createMachineRef<In, Out>(
  MachineClass: MachineClass,
  url: string | URL | UrlProvider,
  options: InjectMachineOptions<In, Out> | undefined,
  caller: (...args: never[]) => unknown,
): MachineRef<In, Out> {
  const { injector: given, ...machineOptions } = options ?? {};
  if (given === undefined) assertInInjectionContext(caller);
  const injector = given ?? inject(Injector);
  const zone = injector.get(NgZone, null);
  const outside: Outside = (work) => (zone !== null && NgZone.isInAngularZone() ? zone.runOutsideAngular(work) : work());
  const server = injector.get(PLATFORM_ID) === 'server';

  let online$: Observable<boolean>;
  let target = url;
  if (server) {
    // Server-side rendering: never a socket, whatever the options say; the machine rests in
    // WAITING. A relative URL cannot be resolved on a server and need not be: handing it over as a
    // provider defers the parsing to an attempt that never comes.
    online$ = of(false);
    if (typeof url === 'string' && !ABSOLUTE.test(url)) target = () => url;
  } else {
    // In the browser the machine rests as on the server until the first render is done (after
    // hydration, when there is one), so that the page first renders the status the server
    // rendered; then the network state (the option, or the window's events) takes over.
    const rendered = new BehaviorSubject(false);
    const network$ = machineOptions.online$ ?? windowOnline();
    online$ = rendered.pipe(switchMap((done) => (done ? network$ : of(false))));
    afterNextRender(() => outside(() => rendered.next(true)), { injector });
  }

  // Built outside the zone: its socket, its timers and its listeners all start there.
  const machine = outside(() => new MachineClass(target, { ...machineOptions, online$ } as MachineOptions<never, never>));
  keepOutside(machine, outside);
  const typed = machine as unknown as Machine<In, Out>;

  const status = signal<Status>(typed.status);
  const lastError = signal<MachineError | undefined>(undefined);
  typed.state$.subscribe((next) => {
    status.set(next);
    if (next.error !== undefined) lastError.set(next.error);
    else if (next.state === ('CONNECTED' satisfies State)) lastError.set(undefined);
  });

  injector.get(DestroyRef).onDestroy(() => typed.command.next('QUIT' satisfies Command));
  return { machine: typed, status: status.asReadonly(), lastError: lastError.asReadonly() };
}
