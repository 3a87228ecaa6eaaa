import { Observable, type Subscriber, type TeardownLogic } from 'rxjs';

const NONE: readonly never[] = [];

/**
 * The read side of a Multicast: an Observable that only subscribes. Subscribers get no teardown
 * closure: one that unsubscribes is closed, skipped and pruned lazily (a teardown would cost RxJS a
 * finalizer array per subscription, and a machine's streams are subscribed once and kept).
 */
class View<T> extends Observable<T> {
  constructor(private readonly cast: Multicast<T>) {
    super();
  }

  // Observable calls `_subscribe` for each subscription, as for RxJS's own Subject.
  protected _subscribe(subscriber: Subscriber<T>): TeardownLogic {
    this.cast.add(subscriber);
    return undefined;
  }
}

/** `last` of a replaying Multicast before its first value. */
const UNSET: unique symbol = Symbol('unset');
/** `last` of a Multicast that does not replay. */
const OFF: unique symbol = Symbol('off');

/**
 * A minimal hot multicast: what a Subject (or, with `replay`, a ReplaySubject(1)) does, without
 * the per-call error-context closure and closed checks that make Subject.next cost about four
 * times a plain loop, and with a fraction of its memory. It never errors. A lone subscriber is held
 * as it is (most streams of a machine have one); more live in a copy-on-write array, so one that
 * unsubscribes (or a new one) during a delivery does not disturb the delivery under way. Only the
 * owner holds the Multicast; others get its `observable`.
 */
export class Multicast<T> {
  private subscribers: Subscriber<T> | readonly Subscriber<T>[] = NONE;
  /** Subscribers are pruned of closed ones when the array reaches this length. */
  private pruneAt = 8;
  private done = false;
  /** The latest value when replaying; UNSET before the first, OFF when not replaying. */
  private last: T | typeof UNSET | typeof OFF;
  private view: View<T> | undefined;

  /** @param replay - give each new subscriber the latest value first (and after completion too) */
  constructor(replay = false) {
    this.last = replay ? UNSET : OFF;
  }

  get observable(): Observable<T> {
    return (this.view ??= new View(this));
  }

  /** The latest value, when replaying. */
  get value(): T | undefined {
    const last = this.last;
    return last === UNSET || last === OFF ? undefined : last;
  }

  next(value: T): void {
    if (this.last !== OFF) this.last = value;
    const subscribers = this.subscribers;
    if (!isList(subscribers)) {
      if (subscribers.closed) this.subscribers = NONE;
      else subscribers.next(value);
      return;
    }
    let closed = 0;
    for (const subscriber of subscribers) {
      if (subscriber.closed) closed++;
      else subscriber.next(value);
    }
    if (closed > 0) this.prune();
  }

  complete(): void {
    if (this.done) return;
    this.done = true;
    const subscribers = this.subscribers;
    this.subscribers = NONE;
    for (const subscriber of isList(subscribers) ? subscribers : [subscribers]) subscriber.complete();
  }

  /** @internal for View */
  add(subscriber: Subscriber<T>): void {
    const last = this.last;
    if (last !== UNSET && last !== OFF) subscriber.next(last);
    if (this.done) {
      subscriber.complete();
      return;
    }
    // Subscribers that come and go between deliveries (requests) must not pile up.
    if (isList(this.subscribers) && this.subscribers.length >= this.pruneAt) {
      this.prune();
      this.pruneAt = Math.max(8, this.count() * 2);
    }
    const current = this.subscribers;
    // A lone subscriber is held as it is; exact-size arrays after that (a push would reserve room for 17).
    if (!isList(current)) this.subscribers = current.closed ? subscriber : [current, subscriber];
    else this.subscribers = current.length === 0 ? subscriber : current.concat([subscriber]);
  }

  private count(): number {
    const subscribers = this.subscribers;
    return isList(subscribers) ? subscribers.length : 1;
  }

  private prune(): void {
    const subscribers = this.subscribers;
    const open = isList(subscribers) ? subscribers.filter((s) => !s.closed) : subscribers.closed ? NONE : [subscribers];
    this.subscribers = open.length === 0 ? NONE : open.length === 1 ? (open[0] as Subscriber<T>) : open;
  }
}

function isList<T>(subscribers: Subscriber<T> | readonly Subscriber<T>[]): subscribers is readonly Subscriber<T>[] {
  return Array.isArray(subscribers);
}
