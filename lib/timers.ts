import type { SchedulerLike, Subscription } from 'rxjs';
import { keepAlive } from './keepalive.js';
import type { Event, TimerName } from './reducer.js';

/** The event each one-shot timer raises when it fires. */
const FIRES = { connect: 'CONNECT_TIMEOUT', retry: 'RETRY', uptime: 'STABLE' } as const;

/**
 * The machine's timers, all on its scheduler, one per name: starting one replaces the running one
 * of the same name. Their events flow back into the loop like any other.
 */
export class Timers {
  private readonly running: Partial<Record<TimerName, Subscription>> = {};

  constructor(
    private readonly scheduler: SchedulerLike,
    private readonly event: (event: Event) => void,
  ) {}

  start(name: keyof typeof FIRES, id: number, ms: number): void {
    const event = { type: FIRES[name], id } as Event;
    this.running[name]?.unsubscribe();
    this.running[name] = this.scheduler.schedule(() => {
      this.running[name] = undefined; // fired: nothing to hold on to (a stable machine keeps no timer but keep-alive)
      this.event(event);
    }, ms);
  }

  /** Watches `activity.seen` for connection `id`: PING_DUE after silence, PONG_TIMEOUT after an unanswered ping. */
  keepAlive(id: number, activity: { readonly seen: number }, pingInterval: number, pongTimeout: number): void {
    this.running.keepalive?.unsubscribe();
    this.running.keepalive = keepAlive(activity, pingInterval, pongTimeout, this.scheduler, (type) => this.event({ type, id }));
  }

  cancel(name: TimerName): void {
    this.running[name]?.unsubscribe();
    this.running[name] = undefined;
  }

  cancelAll(): void {
    for (const name of Object.keys(this.running) as TimerName[]) this.cancel(name);
  }
}
