/**
 * A bounded FIFO on a growable ring buffer: O(1) push and shift, no array shifting, and no memory
 * held for a queue that is empty most of the time (which is every connected machine).
 */
export class Queue<T> {
  private items: (T | undefined)[] = [];
  private head = 0;
  private count = 0;

  get length(): number {
    return this.count;
  }

  push(item: T): void {
    if (this.count === this.items.length) this.grow();
    this.items[(this.head + this.count) % this.items.length] = item;
    this.count++;
  }

  /** The oldest item, left in place. */
  peek(): T | undefined {
    return this.count === 0 ? undefined : this.items[this.head];
  }

  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined; // let the message be collected
    this.head = (this.head + 1) % this.items.length;
    this.count--;
    if (this.count === 0) this.reset();
    return item;
  }

  /** Empties the queue and returns what it held, oldest first. */
  drain(): T[] {
    const out: T[] = [];
    while (this.count > 0) out.push(this.shift() as T);
    return out;
  }

  private grow(): void {
    const size = Math.max(4, this.items.length * 2);
    const next = new Array<T | undefined>(size);
    for (let i = 0; i < this.count; i++) next[i] = this.items[(this.head + i) % this.items.length];
    this.items = next;
    this.head = 0;
  }

  private reset(): void {
    this.head = 0;
    if (this.items.length > 64) this.items = []; // give back a buffer a long outage grew
  }
}
