import { Multicast } from './multicast.js';

/**
 * The machine's event stream: a multicast that never delivers re-entrantly. An event raised while
 * another is being handled (a socket failing inside the effect that opened it, a subscriber giving
 * a command from a state$ callback) waits until that one is done, then goes, in order. This is what
 * `observeOn(queueScheduler)` would do, per machine and without an action object per event.
 */
export class Trampoline<T> extends Multicast<T> {
  private busy = false;
  private waiting: T[] | undefined;

  override next(value: T): void {
    if (this.busy) {
      (this.waiting ??= []).push(value);
      return;
    }
    this.busy = true;
    try {
      super.next(value);
      const waiting = this.waiting;
      // Read the length each time: handling one event may queue more.
      for (let i = 0; waiting !== undefined && i < waiting.length; i++) super.next(waiting[i] as T);
    } finally {
      this.waiting = undefined;
      this.busy = false;
    }
  }
}
