import { Observable, type Subscriber, type TeardownLogic } from 'rxjs';

const IDLE: unique symbol = Symbol('idle');
const NONE_YET: unique symbol = Symbol('none yet');

/**
 * The machine's event stream: an Observable with one subscriber (the loop) that never delivers
 * re-entrantly. An event raised while another is being handled (a socket failing inside the effect
 * that opened it, a subscriber giving a command from a state$ callback) waits until that one is
 * done, then goes, in order. This is what `observeOn(queueScheduler)` would do, per machine and
 * without an action object per event; it is internal, so it is its own read side.
 */
export class Trampoline<T> extends Observable<T> {
  private subscriber: Subscriber<T> | undefined;
  /** IDLE between events; while one is handled, the events raised meanwhile (NONE_YET until the first). */
  private waiting: T[] | typeof IDLE | typeof NONE_YET = IDLE;

  // Observable calls `_subscribe` for each subscription, as for RxJS's own Subject.
  protected _subscribe(subscriber: Subscriber<T>): TeardownLogic {
    if (this.subscriber !== undefined && !this.subscriber.closed) throw new Error('a Trampoline has one subscriber');
    this.subscriber = subscriber;
    return undefined;
  }

  next(value: T): void {
    const waiting = this.waiting;
    if (waiting !== IDLE) {
      if (waiting === NONE_YET) this.waiting = [value];
      else waiting.push(value);
      return;
    }
    this.waiting = NONE_YET;
    try {
      this.deliver(value);
      // Read the queue and its length each time: handling one event may queue more.
      for (let i = 0; ; i++) {
        const queued = this.waiting as T[] | symbol;
        if (typeof queued === 'symbol' || i >= queued.length) break;
        this.deliver(queued[i] as T);
      }
    } finally {
      this.waiting = IDLE;
    }
  }

  private deliver(value: T): void {
    const subscriber = this.subscriber;
    if (subscriber !== undefined && !subscriber.closed) subscriber.next(value);
  }
}
