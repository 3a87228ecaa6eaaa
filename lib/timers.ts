import { Deadline, type Clock } from './clock.js';
import { keepAlive, type KeepAlive, type KeepAliveSettings, type Watched } from './keepalive.js';
import type { Event, TimerName } from './reducer.js';

type OneShotName = Exclude<TimerName, 'keepalive'>;

/** The event each one-shot timer raises when it fires. */
const FIRES = { connect: 'CONNECT_TIMEOUT', retry: 'RETRY', uptime: 'STABLE' } as const;

/** The machine: its scheduler's clock, and its loop, where timer events go. */
export interface TimerHost {
  readonly clock: Clock;
  event(event: Event): void;
}

/**
 * A one-shot timer on the scheduler's shared clock. Most are cancelled before they fire (a connect
 * timeout when the socket opens), so it is one small object: its event is made only if it fires.
 */
class OneShot extends Deadline {
  constructor(
    due: number,
    private readonly timers: Timers,
    private readonly name: OneShotName,
    private readonly id: number,
  ) {
    super(due);
  }

  protected override get clock(): Clock {
    return this.timers.clock;
  }

  override check(): undefined {
    this.clock.report(this, undefined);
    return undefined;
  }

  override signal(): void {
    this.timers.fired(this.name, { type: FIRES[this.name], id: this.id });
  }
}

/**
 * The machine's timers, all on its scheduler's clock, one per name: starting one replaces the
 * running one of the same name. Their events flow back into the loop like any other.
 */
export class Timers {
  private connect: OneShot | undefined;
  private retry: OneShot | undefined;
  private uptime: OneShot | undefined;
  private keepalive: KeepAlive | undefined;

  constructor(private readonly host: TimerHost) {}

  get clock(): Clock {
    return this.host.clock;
  }

  start(name: OneShotName, id: number, ms: number): void {
    this[name]?.unsubscribe();
    const clock = this.host.clock;
    const now = clock.now();
    const timer = new OneShot(now + ms, this, name, id);
    this[name] = timer;
    clock.add(timer, now);
  }

  /** Watches a connection's frames: PING_DUE after silence, PONG_TIMEOUT after an unanswered ping. */
  keepAlive(watched: Watched, settings: KeepAliveSettings): void {
    this.keepalive?.unsubscribe();
    this.keepalive = keepAlive(watched, settings);
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

  /** @internal a one-shot timer fired */
  fired(name: OneShotName, event: Event): void {
    this[name] = undefined; // fired: nothing to hold on to (a stable machine keeps no timer but keep-alive)
    this.host.event(event);
  }
}
