import type { SchedulerAction, SchedulerLike, Subscription } from 'rxjs';

/** How late a clock may run before a deadline is looked at once more (see `Watch.check`). */
const LATE_MS = 20;

/** `Watch.index` of a watch its owner unsubscribed. */
const CANCELLED = -2;

/** What the watch reports: time for a ping, or a ping that went unanswered. */
export type KeepAliveSignal = 'PING_DUE' | 'PONG_TIMEOUT';

/** The watched connection: the time of its latest frame, and where its signals go. */
export interface Watched {
  readonly seen: number;
  keepAliveSignal(signal: KeepAliveSignal): void;
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
class Watch implements KeepAlive {
  /** When it is next due, on the scheduler's clock. */
  due: number;
  /** Its place in the clock's heap; -1 when not in it, CANCELLED once its owner unsubscribed. */
  index = -1;
  /** The deadline passed on a late clock and was given one more turn. */
  private lookedAgain = false;
  /** `seen` when the unanswered ping went out; undefined when none is outstanding (not NaN: a heap number). */
  private pingedSeen: number | undefined = undefined;
  private pingedAt = 0;

  constructor(
    private readonly clock: Clock,
    private readonly watched: Watched,
    private readonly interval: number,
    private readonly timeout: number,
    now: number,
  ) {
    this.due = now + interval;
  }

  get closed(): boolean {
    return this.index < 0;
  }

  /** Nothing more is reported, not even what was already due. */
  unsubscribe(): void {
    this.clock.remove(this);
    this.index = CANCELLED;
  }

  answered(): void {
    if (this.pingedSeen === undefined || this.index < 0) return;
    this.pingedSeen = undefined;
    this.lookedAgain = false;
    // Without this the clock would look again min(timeout, interval) after the ping only to learn
    // of the answer: one wake per connection per cycle that ten thousand idle machines pay for.
    const seen = this.watched.seen; // the pong's time: now
    this.clock.move(this, seen + this.interval, seen);
  }

  /** Due now: reports what is due and says when it is due next (undefined: done). */
  check(now: number): number | undefined {
    const seen = this.watched.seen;
    if (seen === this.pingedSeen) {
      // Nothing since the ping. Look again within `interval`, not only at the deadline: an answer
      // that comes meanwhile starts the next silence, and its ping is due `interval` after it.
      const left = this.pingedAt + this.timeout - now;
      if (left > 0) return now + Math.min(left, this.interval);
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
    if (idle < this.interval) return now + this.interval - idle;
    this.pingedSeen = seen;
    this.pingedAt = now;
    // Due again before reporting: the report sends the ping, and both deadlines run from here.
    this.clock.report(this, 'PING_DUE');
    return now + Math.min(this.timeout, this.interval);
  }

  signal(signal: KeepAliveSignal): void {
    this.watched.keepAliveSignal(signal);
  }
}

/**
 * Every keep-alive of one scheduler on one timer: a min-heap of watches by due time, and one
 * scheduled action for the earliest. Ten thousand idle machines cost one timer, not ten thousand.
 */
class Clock {
  private readonly heap: Watch[] = [];
  private action: (SchedulerAction<unknown> & Subscription) | undefined;
  private actionAt = Infinity;
  /** Signals raised while due watches are being checked: reported once the heap is consistent. */
  private pending: (Watch | KeepAliveSignal)[] | undefined;

  constructor(private readonly scheduler: SchedulerLike) {}

  add(watch: Watch, now: number): void {
    watch.index = this.heap.length;
    this.heap.push(watch);
    this.up(watch.index);
    this.arm(now);
  }

  remove(watch: Watch): void {
    const i = watch.index;
    if (i < 0) return;
    watch.index = -1;
    const last = this.heap.pop() as Watch;
    if (i < this.heap.length) {
      this.heap[i] = last;
      last.index = i;
      this.down(i);
      this.up(last.index);
    }
    if (this.heap.length === 0) this.disarm();
  }

  /** A watch is due at another time: its place in the heap follows. */
  move(watch: Watch, due: number, now: number): void {
    const later = due > watch.due;
    watch.due = due;
    if (later) this.down(watch.index);
    else this.up(watch.index);
    this.arm(now);
  }

  report(watch: Watch, signal: KeepAliveSignal): void {
    // Flat pairs: no array per signal.
    (this.pending ??= []).push(watch, signal);
  }

  /** @internal the clock's action: it is rescheduled for the next due watch (see `arm`) */
  fire(action: SchedulerAction<Clock>): void {
    this.action = action;
    this.actionAt = Infinity;
    const now = this.scheduler.now();
    const heap = this.heap;
    while (heap.length > 0 && (heap[0] as Watch).due <= now) {
      const watch = heap[0] as Watch;
      const next = watch.check(now);
      if (next === undefined) this.remove(watch);
      else {
        watch.due = next;
        this.down(0);
      }
    }
    this.arm(now);
    // Reported last: a report runs the machine's loop, which may add or remove watches.
    const pending = this.pending;
    this.pending = undefined;
    if (pending === undefined) return;
    for (let i = 0; i < pending.length; i += 2) {
      const watch = pending[i] as Watch;
      if (watch.index !== CANCELLED) watch.signal(pending[i + 1] as KeepAliveSignal);
    }
  }

  /**
   * The action runs when the earliest watch is due; none when there is no watch. The one action
   * is rescheduled rather than replaced: no allocation, and RxJS keeps its interval running when
   * the delay is the same as before.
   */
  private arm(now: number): void {
    const first = this.heap[0];
    if (first === undefined) {
      this.disarm();
      return;
    }
    if (first.due === this.actionAt) return;
    this.actionAt = first.due;
    const delay = Math.max(0, first.due - now);
    const action = this.action;
    this.action = (
      action !== undefined && !action.closed ? action.schedule(this, delay) : this.scheduler.schedule(fireClock, delay, this)
    ) as SchedulerAction<unknown> & Subscription;
  }

  private disarm(): void {
    this.action?.unsubscribe();
    this.action = undefined;
    this.actionAt = Infinity;
  }

  private up(i: number): void {
    const heap = this.heap;
    const watch = heap[i] as Watch;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const above = heap[parent] as Watch;
      if (above.due <= watch.due) break;
      heap[i] = above;
      above.index = i;
      i = parent;
    }
    heap[i] = watch;
    watch.index = i;
  }

  private down(i: number): void {
    const heap = this.heap;
    const n = heap.length;
    const watch = heap[i] as Watch;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && (heap[right] as Watch).due < (heap[left] as Watch).due ? right : left;
      const below = heap[child] as Watch;
      if (below.due >= watch.due) break;
      heap[i] = below;
      below.index = i;
      i = child;
    }
    heap[i] = watch;
    watch.index = i;
  }
}

function fireClock(this: SchedulerAction<Clock>, clock?: Clock): void {
  clock?.fire(this);
}

/**
 * The clock of each scheduler. Shared by the machines of one scheduler only: a clock never sees
 * another scheduler's time, so virtual and real time, or two TestSchedulers, never mix.
 */
const clocks = new WeakMap<SchedulerLike, Clock>();

/**
 * Watches a connection's incoming frames through `watched.seen` (the time of the latest frame)
 * on `scheduler`, sharing one timer with every other keep-alive on that scheduler, and tells
 * `watched.keepAliveSignal`: PING_DUE after `interval` ms of silence, every time; PONG_TIMEOUT
 * when nothing arrived within `timeout` ms of that ping. It stops after PONG_TIMEOUT; unsubscribe
 * to stop it before.
 */
export function keepAlive(watched: Watched, interval: number, timeout: number, scheduler: SchedulerLike): KeepAlive {
  let clock = clocks.get(scheduler);
  if (clock === undefined) {
    clock = new Clock(scheduler);
    clocks.set(scheduler, clock);
  }
  const now = scheduler.now();
  const watch = new Watch(clock, watched, interval, timeout, now);
  clock.add(watch, now);
  return watch;
}
