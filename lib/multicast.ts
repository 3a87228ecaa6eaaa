import { Observable, Subscription, type Observer, type Subscriber, type TeardownLogic } from 'rxjs';
import { reportUnhandled } from './errors.js';
import { LeanSubscription } from './subscription.js';

const NONE: readonly never[] = [];
/** The subscribers of a Multicast that has ended: none, for good. */
const ENDED: readonly never[] = [];

/** `last` of a replaying Multicast before its first value. */
const UNSET: unique symbol = Symbol('unset');
/** `last` of a Multicast that does not replay. */
const OFF: unique symbol = Symbol('off');

type Callback<T> = ((value: T) => void) | Partial<Observer<T>>;

/** The callback of a Sink that is closed. */
const RELEASED: Partial<Observer<unknown>> = Object.freeze({});

/** What a Multicast delivers to: an operator's Subscriber, or a Sink. */
type Listener<T> = Observer<T> & { readonly closed: boolean };

/**
 * The subscription made for a callback or a partial observer: one object where `subscribe` would
 * make three (a SafeSubscriber, its ConsumerObserver and an observer object), which is most of
 * what a subscription costs ten thousand machines. It calls the callback as RxJS does: a throw is
 * reported, not passed on to the Multicast and its other subscribers; nothing reaches it once it
 * is closed.
 */
class Sink<T> extends LeanSubscription implements Observer<T> {
  constructor(private callback: Callback<T>) {
    super();
  }

  override unsubscribe(): void {
    super.unsubscribe();
    // Let go of the callback and what it holds, as RxJS does: the Multicast drops a closed Sink only
    // at its next delivery or prune, and a caller may keep the subscription long after.
    this.callback = RELEASED;
  }

  next(value: T): void {
    if (this.closed) return;
    const to = this.callback;
    try {
      if (typeof to === 'function') to(value);
      else to.next?.(value);
    } catch (error) {
      reportUnhandled(error);
    }
  }

  error(error: unknown): void {
    if (this.closed) return;
    const to = this.callback;
    try {
      if (typeof to !== 'function' && to.error !== undefined) to.error(error);
      else reportUnhandled(error);
    } catch (thrown) {
      reportUnhandled(thrown);
    } finally {
      this.unsubscribe();
    }
  }

  complete(): void {
    if (this.closed) return;
    const to = this.callback;
    try {
      if (typeof to !== 'function') to.complete?.();
    } catch (error) {
      reportUnhandled(error);
    } finally {
      this.unsubscribe();
    }
  }
}

/**
 * A minimal hot multicast: what a Subject (or, with `replay`, a ReplaySubject(1)) does, without
 * the per-call error-context closure and closed checks that make Subject.next cost about four
 * times a plain loop, and with a fraction of its memory. It never errors.
 *
 * It is its own read side: it is an Observable with no `next` or `complete`, so the owner gives
 * it out as it is and nobody else can push into it (`emit` and `end` are the owner's). A lone
 * subscriber is held as it is (most streams of a machine have one); more live in a copy-on-write
 * array, so one that unsubscribes (or a new one) during a delivery does not disturb the delivery
 * under way. Subscribers get no teardown: one that unsubscribes is closed, skipped and pruned
 * lazily (a teardown would cost RxJS a finalizer array per subscription, and a machine's streams
 * are subscribed once and kept).
 */
export class Multicast<T> extends Observable<T> {
  /** One subscriber as it is, or an array of them; ENDED once ended. */
  private subscribers: Listener<T> | readonly Listener<T>[] = NONE;
  /** The latest value when replaying; UNSET before the first, OFF when not replaying. */
  private last: T | typeof UNSET | typeof OFF;

  /** @param replay - give each new subscriber the latest value first (and after completion too) */
  constructor(replay = false) {
    super();
    this.last = replay ? UNSET : OFF;
  }

  /** The read side, typed as such. */
  get observable(): Observable<T> {
    return this;
  }

  /** The latest value, when replaying. */
  get value(): T | undefined {
    const last = this.last;
    return last === UNSET || last === OFF ? undefined : last;
  }

  /**
   * A callback or a partial observer gets a Sink; a Subscription (an operator's Subscriber) and
   * the deprecated three-callback form go the usual way, through `_subscribe`.
   */
  override subscribe(
    observerOrNext?: Callback<T> | null,
    error?: ((error: unknown) => void) | null,
    complete?: (() => void) | null,
  ): Subscription {
    if (error != null || complete != null) {
      // eslint-disable-next-line @typescript-eslint/no-deprecated, rxjs-x/prefer-observer -- passed on as given
      return super.subscribe(observerOrNext as ((value: T) => void) | null, error, complete);
    }
    if (observerOrNext == null || observerOrNext instanceof Subscription) return super.subscribe(observerOrNext ?? undefined);
    const sink = new Sink(observerOrNext);
    this.attach(sink);
    return sink;
  }

  // Observable calls `_subscribe` for each subscription it makes, as for RxJS's own Subject.
  protected _subscribe(subscriber: Subscriber<T>): TeardownLogic {
    this.attach(subscriber);
    return undefined;
  }

  emit(value: T): void {
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

  end(): void {
    const subscribers = this.subscribers;
    if (subscribers === ENDED) return;
    this.subscribers = ENDED;
    for (const subscriber of isList(subscribers) ? subscribers : [subscribers]) subscriber.complete();
  }

  private attach(subscriber: Listener<T>): void {
    const last = this.last;
    if (last !== UNSET && last !== OFF) subscriber.next(last);
    if (this.subscribers === ENDED) {
      subscriber.complete();
      return;
    }
    // Subscribers that come and go between deliveries (requests) must not pile up: closed ones are
    // pruned whenever the array reaches a power of two from 8 (amortised: one pass per doubling).
    const length = this.count();
    if (length >= 8 && (length & (length - 1)) === 0) this.prune();
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
    this.subscribers = open.length === 0 ? NONE : open.length === 1 ? (open[0] as Listener<T>) : open;
  }
}

function isList<T>(subscribers: Listener<T> | readonly Listener<T>[]): subscribers is readonly Listener<T>[] {
  return Array.isArray(subscribers);
}
