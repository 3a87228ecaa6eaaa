import { Deadline, type Clock } from './clock.js';

/** How late a clock may run before a deadline is looked at once more (see `Watch.check`). */
const LATE_MS = 20;

/** What the watch reports: time for a ping, or a ping that went unanswered. */
export type KeepAliveSignal = 'PING_DUE' | 'PONG_TIMEOUT';

/** The watched connection: the time of its latest frame (`Clock.now`), and where its signals go. */
export interface Watched {
  readonly seen: number;
  keepAliveSignal(signal: KeepAliveSignal): void;
}

/**
 * How a keep-alive runs: a ping after `pingInterval` ms of silence, an answer within `pongTimeout`
 * ms, on `clock`. A machine's config is one, shared by the machines made from the same options, so
 * a watch keeps one reference instead of three fields.
 */
export interface KeepAliveSettings {
  readonly pingInterval: number;
  readonly pongTimeout: number;
  readonly clock: Clock;
}

/** A running keep-alive. */
export interface KeepAlive {
  /** The ping was answered (a pong at `seen`): the next is due `interval` after it, with no look in between. */
  answered(): void;
  unsubscribe(): void;
}

/**
 * One connection's keep-alive. It reads `watched.seen` (the time of the latest frame) when it is
 * due, never per message: when it comes due early because frames kept arriving, it is due again
 * for exactly the time left, so both deadlines hold to the millisecond: PING_DUE after `interval`
 * ms of silence, every time, and PONG_TIMEOUT when nothing arrived within `timeout` ms of that
 * ping. It stops after PONG_TIMEOUT; unsubscribe to stop it before.
 */
class Watch extends Deadline<KeepAliveSignal> implements KeepAlive {
  /** The deadline passed on a late clock and was given one more turn. */
  private lookedAgain = false;
  /** `seen` when the unanswered ping went out; undefined when none is outstanding (not NaN: a heap number). */
  private pingedSeen: number | undefined = undefined;
  private pingedAt = 0;

  constructor(
    private readonly watched: Watched,
    private readonly settings: KeepAliveSettings,
    now: number,
  ) {
    super(now + settings.pingInterval);
  }

  protected override get clock(): Clock {
    return this.settings.clock;
  }

  answered(): void {
    if (this.pingedSeen === undefined || this.index < 0) return;
    this.pingedSeen = undefined;
    this.lookedAgain = false;
    // Without this the clock would look again min(timeout, interval) after the ping only to learn
    // of the answer: one wake per connection per cycle that ten thousand idle machines pay for.
    const seen = this.watched.seen; // the pong's time: now
    this.clock.move(this, seen + this.settings.pingInterval, seen);
  }

  /** Due now: reports what is due and says when it is due next (undefined: done). */
  override check(now: number): number | undefined {
    const { pingInterval: interval, pongTimeout: timeout } = this.settings;
    const seen = this.watched.seen;
    if (seen === this.pingedSeen) {
      // Nothing since the ping. Look again within `interval`, not only at the deadline: an answer
      // that comes meanwhile starts the next silence, and its ping is due `interval` after it.
      const left = this.pingedAt + timeout - now;
      if (left > 0) return now + Math.min(left, interval);
      // A clock that ran late (a busy event loop) may run before the socket reads the answer that
      // is already there: look once more on the next turn, after I/O, before calling it dead.
      if (now - this.due > LATE_MS && !this.lookedAgain) {
        this.lookedAgain = true;
        return now + 1;
      }
      this.clock.report(this, 'PONG_TIMEOUT');
      return undefined;
    }
    this.lookedAgain = false;
    const idle = now - seen;
    if (idle < interval) return now + interval - idle;
    this.pingedSeen = seen;
    this.pingedAt = now;
    // Due again before reporting: the report sends the ping, and both deadlines run from here.
    this.clock.report(this, 'PING_DUE');
    return now + Math.min(timeout, interval);
  }

  override signal(signal: KeepAliveSignal): void {
    this.watched.keepAliveSignal(signal);
  }
}

/**
 * Watches a connection's incoming frames through `watched.seen` (the time of the latest frame)
 * on `settings.clock`, sharing one timer with every other keep-alive of that clock's scheduler,
 * and tells `watched.keepAliveSignal`: PING_DUE after `pingInterval` ms of silence, every time;
 * PONG_TIMEOUT when nothing arrived within `pongTimeout` ms of that ping. It stops after
 * PONG_TIMEOUT; unsubscribe to stop it before.
 */
export function keepAlive(watched: Watched, settings: KeepAliveSettings): KeepAlive {
  const clock = settings.clock;
  const now = clock.now();
  const watch = new Watch(watched, settings, now);
  clock.add(watch, now);
  return watch;
}
