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

/**
 * A minimal hot multicast: what a Subject (or, with `replay`, a ReplaySubject(1)) does, without
 * the per-call error-context closure and closed checks that make Subject.next cost about four
 * times a plain loop, and with a fraction of its memory. It never errors. Subscribers live in a
 * copy-on-write array, so one that unsubscribes (or a new one) during a delivery does not disturb
 * the delivery under way. Only the owner holds the Multicast; others get its `observable`.
 */
export class Multicast<T> {
  private subscribers: readonly Subscriber<T>[] = NONE;
  /** Subscribers are pruned of closed ones when the array reaches this length. */
  private pruneAt = 8;
  private done = false;
  private hasLast = false;
  private last: T | undefined;
  private view: View<T> | undefined;

  /** @param replay - give each new subscriber the latest value first (and after completion too) */
  constructor(private readonly replay = false) {}

  get observable(): Observable<T> {
    return (this.view ??= new View(this));
  }

  /** The latest value, when replaying. */
  get value(): T | undefined {
    return this.last;
  }

  next(value: T): void {
    if (this.replay) {
      this.hasLast = true;
      this.last = value;
    }
    const subscribers = this.subscribers;
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
    for (const subscriber of subscribers) subscriber.complete();
  }

  /** @internal for View */
  add(subscriber: Subscriber<T>): void {
    if (this.hasLast) subscriber.next(this.last as T);
    if (this.done) {
      subscriber.complete();
      return;
    }
    // Subscribers that come and go between deliveries (requests) must not pile up.
    if (this.subscribers.length >= this.pruneAt) {
      this.prune();
      this.pruneAt = Math.max(8, this.subscribers.length * 2);
    }
    // Exact-size arrays: a push would reserve room for 17, and most of these hold one.
    this.subscribers = this.subscribers.length === 0 ? [subscriber] : this.subscribers.concat([subscriber]);
  }

  private prune(): void {
    const open = this.subscribers.filter((s) => !s.closed);
    this.subscribers = open.length === 0 ? NONE : open;
  }
}
