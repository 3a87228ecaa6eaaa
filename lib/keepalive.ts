import type { SchedulerAction, SchedulerLike, Subscription } from 'rxjs';

/** What the watch reports: time for a ping, or a ping that went unanswered. */
export type KeepAliveSignal = 'PING_DUE' | 'PONG_TIMEOUT';

/**
 * Watches a connection's incoming frames through `activity.seen` (the time of the latest frame)
 * with one timer on `scheduler`: never one per message. When the timer fires early because frames
 * kept arriving, it is re-armed for exactly the time left, so both deadlines hold to the
 * millisecond: PING_DUE after `interval` ms of silence, PONG_TIMEOUT when nothing arrived within
 * `timeout` ms of that ping. It stops after PONG_TIMEOUT; unsubscribe to stop it before.
 */
export function keepAlive(
  activity: { readonly seen: number },
  interval: number,
  timeout: number,
  scheduler: SchedulerLike,
  report: (signal: KeepAliveSignal) => void,
): Subscription {
  let pingedSeen = Number.NaN; // `seen` when the unanswered ping went out
  let pingedAt = 0;
  return scheduler.schedule(function check(this: SchedulerAction<unknown>) {
    const seen = activity.seen;
    const now = scheduler.now();
    if (seen === pingedSeen) {
      // Nothing since the ping.
      const left = pingedAt + timeout - now;
      if (left > 0) this.schedule(undefined, left);
      else report('PONG_TIMEOUT');
      return;
    }
    const idle = now - seen;
    if (idle < interval) {
      this.schedule(undefined, interval - idle);
      return;
    }
    pingedSeen = seen;
    pingedAt = now;
    // Re-armed before reporting: the report sends the ping, and the deadline runs from here. Checked
    // again no later than `interval` ms on: when the answer comes before that, the next ping is due
    // `interval` ms after the answer, which a check at `timeout` (when longer) would miss.
    this.schedule(undefined, Math.min(timeout, interval));
    report('PING_DUE');
  }, interval);
}
