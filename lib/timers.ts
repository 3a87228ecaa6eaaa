import type { SchedulerLike, Subscription } from 'rxjs';
import { keepAlive, type KeepAlive, type Watched } from './keepalive.js';
import type { Event, TimerName } from './reducer.js';

/** The event each one-shot timer raises when it fires. */
const FIRES = { connect: 'CONNECT_TIMEOUT', retry: 'RETRY', uptime: 'STABLE' } as const;

/** The machine: its scheduler, and its loop, where timer events go. */
export interface TimerHost {
  readonly scheduler: SchedulerLike;
  event(event: Event): void;
}

/**
 * The machine's timers, all on its scheduler, one per name: starting one replaces the running one
 * of the same name. Their events flow back into the loop like any other.
 */
export class Timers {
  private connect: Subscription | undefined;
  private retry: Subscription | undefined;
  private uptime: Subscription | undefined;
  private keepalive: KeepAlive | undefined;

  constructor(private readonly host: TimerHost) {}

  start(name: keyof typeof FIRES, id: number, ms: number): void {
    this[name]?.unsubscribe();
    this[name] = this.host.scheduler.schedule(fire, ms, { timers: this, name, event: { type: FIRES[name], id } });
  }

  /** Watches a connection's frames: PING_DUE after silence, PONG_TIMEOUT after an unanswered ping. */
  keepAlive(watched: Watched, pingInterval: number, pongTimeout: number): void {
    this.keepalive?.unsubscribe();
    this.keepalive = keepAlive(watched, pingInterval, pongTimeout, this.host.scheduler);
  }

  /** A pong answered the ping: the keep-alive counts the next silence from it. */
  answered(): void {
    this.keepalive?.answered();
  }

  cancel(name: TimerName): void {
    this[name]?.unsubscribe();
    this[name] = undefined;
  }

  cancelAll(): void {
    for (const name of ['connect', 'retry', 'uptime', 'keepalive'] as const) this.cancel(name);
  }

  /** @internal the action of a one-shot timer */
  fired(name: keyof typeof FIRES, event: Event): void {
    this[name] = undefined; // fired: nothing to hold on to (a stable machine keeps no timer but keep-alive)
    this.host.event(event);
  }
}

/** One function for every one-shot timer: its state says which (no closure per timer). */
function fire(state?: { timers: Timers; name: keyof typeof FIRES; event: Event }): void {
  if (state !== undefined) state.timers.fired(state.name, state.event);
}
