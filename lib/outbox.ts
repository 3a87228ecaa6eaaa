import type { Observable, SchedulerLike, Subscription } from 'rxjs';
import { Multicast } from './multicast.js';
import { Queue } from './queue.js';
import type { Counters } from './stats.js';
import type { Transport } from './transport.js';
import type { Message } from './types.js';

/** How often a backed-up socket is checked for room, in ms. */
const DRAIN_POLL_MS = 5;

/** The settings the output path reads. */
export interface OutboxConfig {
  readonly maxQueue: number;
  readonly overflow: 'drop-oldest' | 'drop-newest';
  readonly highWaterMark: number;
  readonly scheduler: SchedulerLike;
}

/**
 * What the output path reads from its machine. The outbox is made on first use (a send, a request,
 * a channel join, a look at `dropped$`), so the state both need from the start, the frame format
 * and the CONNECTED socket, is the machine's: a machine that only listens keeps no outbox, and
 * there is no second copy to keep in step.
 */
export interface OutboxHost {
  readonly config: OutboxConfig;
  readonly counters: Counters;
  /** The frame format for everything sent from now on, queued messages included. */
  readonly binary: boolean;
  /** The CONNECTED socket; undefined while not connected, when messages wait in the queue. */
  readonly live: Transport | undefined;
}

/**
 * A message that wants to know what became of it (a request's): told when it reaches the socket
 * or is given up on overflow; skipped if cancelled before either. Plain messages go as they are,
 * so `output` allocates nothing per message.
 */
export interface Parcel {
  readonly message: Message;
  cancelled: boolean;
  sent(transport: Transport): void;
  dropped(): void;
}

type Item = Message | Parcel;

const isParcel = (item: Item): item is Parcel => typeof item === 'object' && !(item instanceof Uint8Array);

/**
 * The output path: the bounded queue and its overflow policy, `dropped$`, flow control against the
 * socket's `bufferedAmount`, and the outgoing counters, in the host's frame format. While the host
 * has a CONNECTED socket a message goes straight to it (the hot path); otherwise, or while the
 * socket is backed up, it waits in the queue, which drains oldest first.
 */
export class Outbox {
  /** Made when a first message must wait: a machine that is always connected never needs one. */
  private queue: Queue<Item> | undefined;
  /** Made when first asked for: most machines never drop a message. */
  private droppedCast: Multicast<Message> | undefined;
  private drainTimer: Subscription | undefined;
  private disposed = false;

  constructor(private readonly host: OutboxHost) {}

  /** Every message the queue gave up: on overflow, and whatever is still queued at `dispose()`. */
  get dropped$(): Observable<Message> {
    if (this.droppedCast === undefined) {
      this.droppedCast = new Multicast<Message>();
      if (this.disposed) this.droppedCast.end();
    }
    return this.droppedCast.observable;
  }

  /**
   * The host's socket is CONNECTED, and what must go ahead of the queue (channel joins) has gone:
   * the queue is flushed into the socket, oldest first; sends go directly from then on.
   */
  attached(): void {
    this.drain();
  }

  /** The host's socket is gone: messages queue from now on, and nothing polls it for room. */
  detached(): void {
    this.drainTimer?.unsubscribe();
    this.drainTimer = undefined;
  }

  /** Sends at once when the socket has room and nothing is queued ahead; queues otherwise. */
  send(item: Item): void {
    if (this.disposed) return;
    const live = this.host.live;
    if (
      live !== undefined &&
      (this.queue === undefined || this.queue.length === 0) &&
      live.bufferedAmount <= this.host.config.highWaterMark &&
      this.deliver(live, item)
    ) {
      return;
    }
    this.enqueue(item);
    if (live !== undefined) this.scheduleDrain();
  }

  /** Sends on the CONNECTED socket now, ahead of the queue (channel messages); counted. */
  sendAhead(message: Message): boolean {
    const live = this.host.live;
    return live !== undefined && this.deliver(live, message);
  }

  /** Stops for good: nothing is lost silently, so what is still queued goes out on `dropped$`. */
  dispose(): void {
    this.detached();
    this.disposed = true;
    // A queued request learns of the stop from the machine, not as a drop.
    for (const item of this.queue?.drain() ?? []) {
      if (!isParcel(item)) this.drop(item);
      else if (!item.cancelled) this.drop(item.message);
    }
    this.droppedCast?.end();
  }

  private deliver(transport: Transport, item: Item): boolean {
    const parcel = isParcel(item) ? item : undefined;
    if (parcel?.cancelled === true) return true; // nothing to send: it is done with
    const host = this.host;
    const bytes = transport.send(parcel === undefined ? (item as Message) : parcel.message, host.binary);
    if (bytes < 0) return false;
    host.counters.messagesOut++;
    host.counters.bytesOut += bytes;
    parcel?.sent(transport);
    return true;
  }

  private drop(message: Message): void {
    this.host.counters.dropped++;
    this.droppedCast?.emit(message);
  }

  private giveUp(item: Item): void {
    if (!isParcel(item)) this.drop(item);
    else if (!item.cancelled) {
      this.drop(item.message);
      item.dropped();
    }
  }

  private enqueue(item: Item): void {
    const { maxQueue, overflow } = this.host.config;
    const queue = (this.queue ??= new Queue<Item>());
    if (queue.length >= maxQueue) {
      if (overflow === 'drop-newest' || maxQueue === 0) {
        this.giveUp(item);
        return;
      }
      this.giveUp(queue.shift() as Item);
    }
    queue.push(item);
  }

  /** Sends queued messages, oldest first, while the socket is open and has room. */
  private drain(): void {
    const live = this.host.live;
    const queue = this.queue;
    if (live === undefined || queue === undefined) return;
    const { highWaterMark } = this.host.config;
    while (queue.length > 0) {
      if (live.bufferedAmount > highWaterMark) {
        this.scheduleDrain();
        return;
      }
      if (!this.deliver(live, queue.peek() as Item)) return; // closing: the drop will follow
      queue.shift();
    }
  }

  private scheduleDrain(): void {
    if (this.drainTimer !== undefined && !this.drainTimer.closed) return;
    this.drainTimer = this.host.config.scheduler.schedule(() => {
      this.drainTimer = undefined;
      this.drain();
    }, DRAIN_POLL_MS);
  }
}
