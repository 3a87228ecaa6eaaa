import { Observable, type Subscriber, type TeardownLogic } from 'rxjs';

/**
 * The machine's event stream: an Observable with one subscriber (the loop) that never delivers
 * re-entrantly. An event raised while another is being handled (a socket failing inside the effect
 * that opened it, a subscriber giving a command from a state$ callback) waits until that one is
 * done, then goes, in order. This is what `observeOn(queueScheduler)` would do, per machine and
 * without an action object per event; it is internal, so it is its own read side.
 */
export class Trampoline<T> extends Observable<T> {
  private subscriber: Subscriber<T> | undefined;
  private busy = false;
  private waiting: T[] | undefined;

  // Observable calls `_subscribe` for each subscription, as for RxJS's own Subject.
  protected _subscribe(subscriber: Subscriber<T>): TeardownLogic {
    if (this.subscriber !== undefined && !this.subscriber.closed) throw new Error('a Trampoline has one subscriber');
    this.subscriber = subscriber;
    return undefined;
  }

  next(value: T): void {
    if (this.busy) {
      (this.waiting ??= []).push(value);
      return;
    }
    this.busy = true;
    try {
      this.deliver(value);
      const waiting = this.waiting;
      // Read the length each time: handling one event may queue more.
      for (let i = 0; waiting !== undefined && i < waiting.length; i++) this.deliver(waiting[i] as T);
    } finally {
      this.waiting = undefined;
      this.busy = false;
    }
  }

  private deliver(value: T): void {
    const subscriber = this.subscriber;
    if (subscriber !== undefined && !subscriber.closed) subscriber.next(value);
  }
}
