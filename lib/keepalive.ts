import { Observable, type SchedulerAction, type SchedulerLike } from 'rxjs';

/** What the watch reports: time for a ping, or a ping that went unanswered. */
export type KeepAliveSignal = 'PING_DUE' | 'PONG_TIMEOUT';

/**
 * Watches a connection's incoming frames through `lastSeen()` (the time of the latest frame) with
 * one timer on `scheduler`: never one per message. When the timer fires early because frames kept
 * arriving, it is re-armed for exactly the time left, so both deadlines hold to the millisecond:
 * PING_DUE after `interval` ms of silence, PONG_TIMEOUT when nothing arrived within `timeout` ms of
 * that ping. It ends after PONG_TIMEOUT.
 */
export function keepAlive(
  lastSeen: () => number,
  interval: number,
  timeout: number,
  scheduler: SchedulerLike,
): Observable<KeepAliveSignal> {
  return new Observable<KeepAliveSignal>((subscriber) => {
    let pingedSeen = Number.NaN; // lastSeen() when the unanswered ping went out
    let pingedAt = 0;
    return scheduler.schedule(function check(this: SchedulerAction<unknown>) {
      const seen = lastSeen();
      const now = scheduler.now();
      if (seen === pingedSeen) {
        // Nothing since the ping.
        const left = pingedAt + timeout - now;
        if (left > 0) {
          this.schedule(undefined, left);
          return;
        }
        subscriber.next('PONG_TIMEOUT');
        subscriber.complete();
        return;
      }
      const idle = now - seen;
      if (idle < interval) {
        this.schedule(undefined, interval - idle);
        return;
      }
      pingedSeen = seen;
      pingedAt = now;
      // Re-arm before reporting: the report runs the ping, which must not race the deadline.
      this.schedule(undefined, timeout);
      subscriber.next('PING_DUE');
    }, interval);
  });
}
