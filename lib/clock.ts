import type { SchedulerAction, SchedulerLike, Subscription } from 'rxjs';

/** `Deadline.index` of a deadline its owner unsubscribed. */
const CANCELLED = -2;

/**
 * Something a clock keeps: when it is due, and what it does then. `check` runs when it comes due
 * and says when it is due next (undefined: done); what it has to tell goes through `clock.report`
 * and reaches `signal` once every due deadline has been checked.
 */
export abstract class Deadline<S = undefined> {
  /** When it is next due, in its clock's time (`Clock.now`). */
  due: number;
  /** Its place in the clock's heap; -1 when not in it, CANCELLED once its owner unsubscribed. */
  index = -1;
  /** When it was armed, in the clock's count: of two deadlines due at once, the first armed goes first. */
  armed = 0;

  constructor(due: number) {
    this.due = due;
  }

  /**
   * The clock it is kept by. Found through what the deadline already holds rather than kept in a
   * field of its own: a field would be 8 bytes on every machine's keep-alive.
   */
  protected abstract get clock(): Clock;

  get closed(): boolean {
    return this.index < 0;
  }

  /** Nothing more is reported, not even what was already due. */
  unsubscribe(): void {
    this.clock.remove(this);
    this.index = CANCELLED;
  }

  /** Due at `now`: reports what it has to (`clock.report`) and says when it is due next. */
  abstract check(now: number): number | undefined;

  /** What `check` reported, delivered in order once the clock is consistent again. */
  abstract signal(signal: S): void;
}

type AnyDeadline = Deadline<unknown>;
/** The clock's scheduled action, as RxJS's schedulers give it: rescheduled rather than replaced. */
type Action = Partial<Pick<SchedulerAction<Clock>, 'schedule'>> & Subscription;

function earlier(a: AnyDeadline, b: AnyDeadline): boolean {
  return a.due < b.due || (a.due === b.due && a.armed < b.armed);
}

/**
 * Every deadline of one scheduler on one timer: a min-heap of deadlines by due time (first armed
 * first among equals, as separate timers would run), and one scheduled action for the earliest.
 * Ten thousand machines cost one timer, not ten thousand, and a timer started and cancelled per
 * attempt costs one small object, not a scheduler action and a runtime timer.
 */
export class Clock {
  /**
   * The scheduler's time when the clock was made. Times on the clock (`now`, every `due`) count
   * from it, in whole milliseconds: a whole number under 2 ** 31 (24 days) fits in a field as it
   * is, where the scheduler's own time (Date's, since 1970) takes a 16-byte heap number for every
   * time a machine keeps.
   */
  readonly epoch: number;
  private readonly heap: AnyDeadline[] = [];
  private action: Action | undefined;
  private actionAt = Infinity;
  /** How many times a deadline was armed: the tie-break between deadlines due at once. */
  private arms = 0;
  /** Reports raised while due deadlines are being checked: delivered once the heap is consistent. */
  private pending: unknown[] | undefined;
  /** How many callers hold the timer still (see `hold`); the heap changed meanwhile when `held` is set. */
  private holds = 0;
  private held = false;

  constructor(readonly scheduler: SchedulerLike) {
    this.epoch = scheduler.now();
  }

  /** How many deadlines the clock keeps. */
  get size(): number {
    return this.heap.length;
  }

  /** The scheduler's time, counted from `epoch`, in whole milliseconds. */
  now(): number {
    // Math.floor gives V8 a small integer it stores as one; a plain difference of two heap
    // numbers is a heap number, even when it is whole.
    return Math.floor(this.scheduler.now() - this.epoch);
  }

  add(deadline: AnyDeadline, now: number): void {
    deadline.armed = this.arms++;
    deadline.index = this.heap.length;
    this.heap.push(deadline);
    this.up(deadline.index);
    this.arm(now);
  }

  remove(deadline: AnyDeadline): void {
    const i = deadline.index;
    if (i < 0) return;
    deadline.index = -1;
    const last = this.heap.pop() as AnyDeadline;
    if (i < this.heap.length) {
      this.place(last, i);
      this.down(i);
      this.up(last.index);
    }
    if (this.heap.length === 0) this.disarm();
  }

  /** A deadline is due at another time: its place in the heap follows. */
  move(deadline: AnyDeadline, due: number, now: number): void {
    // Armed anew, it goes after every deadline already due at `due`: the same time is later too.
    const later = due >= deadline.due;
    deadline.due = due;
    deadline.armed = this.arms++;
    if (later) this.down(deadline.index);
    else this.up(deadline.index);
    this.arm(now);
  }

  /**
   * Holds the timer still until the matching `release`: the heap changes as asked meanwhile, but the
   * scheduled action follows only at the release, once. A machine's step cancels and starts up to
   * three timers (a reconnect: the retry or connect timer goes, the connect or uptime timer and the
   * keep-alive come); held, that is one scheduler call at most instead of one each, and with a
   * real scheduler each call is an RxJS action and a runtime timer made or cleared.
   */
  hold(): void {
    this.holds++;
  }

  release(): void {
    if (--this.holds > 0 || !this.held) return;
    this.held = false;
    this.arm(this.now());
  }

  report<S>(deadline: Deadline<S>, signal: S): void {
    // Flat pairs: no array per report.
    (this.pending ??= []).push(deadline, signal);
  }

  /** @internal the clock's action: it is rescheduled for the next due deadline (see `arm`) */
  fire(action: Action | undefined): void {
    this.action = action;
    this.actionAt = Infinity;
    const now = this.now();
    const heap = this.heap;
    while (heap.length > 0 && (heap[0] as AnyDeadline).due <= now) {
      const deadline = heap[0] as AnyDeadline;
      const next = deadline.check(now);
      if (next === undefined) this.remove(deadline);
      else {
        deadline.due = next;
        deadline.armed = this.arms++;
        this.down(0);
      }
    }
    this.arm(now);
    // Reported last: a report runs a machine's loop, which may add or remove deadlines.
    const pending = this.pending;
    this.pending = undefined;
    if (pending === undefined) return;
    for (let i = 0; i < pending.length; i += 2) {
      const deadline = pending[i] as AnyDeadline;
      if (deadline.index !== CANCELLED) deadline.signal(pending[i + 1]);
    }
  }

  /**
   * The action runs when the earliest deadline is due; none when there is none. The one action is
   * rescheduled rather than replaced: no allocation, and RxJS keeps its interval running when the
   * delay is the same as before.
   */
  private arm(now: number): void {
    if (this.holds > 0) {
      this.held = true;
      return;
    }
    const first = this.heap[0];
    if (first === undefined) {
      this.disarm();
      return;
    }
    if (first.due === this.actionAt) return;
    this.actionAt = first.due;
    const delay = Math.max(0, first.due - now);
    const action = this.action;
    if (action !== undefined && !action.closed && typeof action.schedule === 'function') {
      this.action = action.schedule(this, delay);
      return;
    }
    // A scheduler of one's own may give back a plain Subscription: that one is replaced.
    action?.unsubscribe();
    this.action = this.scheduler.schedule(fireClock, delay, this);
  }

  /**
   * Nothing is due: a scheduled action is cancelled. One that is running (`fire` set `actionAt` to
   * Infinity) is left alone, so that a deadline added by a report reuses it.
   */
  private disarm(): void {
    if (this.holds > 0) {
      this.held = true;
      return;
    }
    if (this.actionAt === Infinity) return;
    this.action?.unsubscribe();
    this.action = undefined;
    this.actionAt = Infinity;
  }

  private up(i: number): void {
    const heap = this.heap;
    const deadline = heap[i] as AnyDeadline;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const above = heap[parent] as AnyDeadline;
      if (!earlier(deadline, above)) break;
      this.place(above, i);
      i = parent;
    }
    this.place(deadline, i);
  }

  private down(i: number): void {
    const heap = this.heap;
    const n = heap.length;
    const deadline = heap[i] as AnyDeadline;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && earlier(heap[right] as AnyDeadline, heap[left] as AnyDeadline) ? right : left;
      const below = heap[child] as AnyDeadline;
      if (!earlier(below, deadline)) break;
      this.place(below, i);
      i = child;
    }
    this.place(deadline, i);
  }

  /** Puts a deadline at `i` in the heap; it keeps its index, so it can be moved or removed there. */
  private place(deadline: AnyDeadline, i: number): void {
    this.heap[i] = deadline;
    deadline.index = i;
  }
}

function fireClock(this: unknown, clock?: Clock): void {
  // RxJS runs an action's work with the action as `this`; a scheduler of one's own may not.
  clock?.fire(typeof (this as Partial<Action> | undefined)?.schedule === 'function' ? (this as Action) : undefined);
}

/**
 * The clock of each scheduler. Shared by the machines of one scheduler only: a clock never sees
 * another scheduler's time, so virtual and real time, or two TestSchedulers, never mix.
 */
const clocks = new WeakMap<SchedulerLike, Clock>();

/** The one clock of `scheduler`, made when first asked for. */
export function clockOf(scheduler: SchedulerLike): Clock {
  let clock = clocks.get(scheduler);
  if (clock === undefined) {
    clock = new Clock(scheduler);
    clocks.set(scheduler, clock);
  }
  return clock;
}
