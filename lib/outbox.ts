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
 * socket's `bufferedAmount`, the current frame format, and the outgoing counters. While attached to
 * a CONNECTED socket a message goes straight to it (the hot path); otherwise, or while the socket
 * is backed up, it waits in the queue, which drains oldest first.
 */
export class Outbox {
  /** The frame format for everything sent from now on, queued messages included. */
  binary: boolean;
  /** Made when a first message must wait: a machine that is always connected never needs one. */
  private queue: Queue<Item> | undefined;
  /** Made when first asked for: most machines never drop a message. */
  private droppedCast: Multicast<Message> | undefined;
  private live: Transport | undefined;
  private drainTimer: Subscription | undefined;
  private disposed = false;

  constructor(
    private readonly config: OutboxConfig,
    binary: boolean,
    private readonly counters: Counters,
  ) {
    this.binary = binary;
  }

  /** Every message the queue gave up: on overflow, and whatever is still queued at `dispose()`. */
  get dropped$(): Observable<Message> {
    if (this.droppedCast === undefined) {
      this.droppedCast = new Multicast<Message>();
      if (this.disposed) this.droppedCast.end();
    }
    return this.droppedCast.observable;
  }

  /** The socket messages go to, while CONNECTED. */
  get transport(): Transport | undefined {
    return this.live;
  }

  /**
   * The socket is CONNECTED: `first` sends what must go ahead of the queue (channel joins), then
   * the queue is flushed into the socket, then sends go directly.
   */
  attach(transport: Transport, first?: () => void): void {
    this.live = transport;
    first?.();
    this.drain();
  }

  /** The socket is gone: queue from now on. */
  detach(): void {
    this.live = undefined;
    this.drainTimer?.unsubscribe();
    this.drainTimer = undefined;
  }

  /** Sends at once when the socket has room and nothing is queued ahead; queues otherwise. */
  send(item: Item): void {
    if (this.disposed) return;
    const live = this.live;
    if (
      live !== undefined &&
      (this.queue === undefined || this.queue.length === 0) &&
      live.bufferedAmount <= this.config.highWaterMark &&
      this.deliver(live, item)
    ) {
      return;
    }
    this.enqueue(item);
    if (live !== undefined) this.scheduleDrain();
  }

  /** Sends on the CONNECTED socket now, ahead of the queue (channel messages); counted. */
  sendAhead(message: Message): boolean {
    return this.live !== undefined && this.deliver(this.live, message);
  }

  /** Sends on `transport` now, past the queue and the counters (handshake and heartbeat messages). */
  sendNow(transport: Transport, message: Message): boolean {
    return transport.send(message, this.binary) >= 0;
  }

  /** Stops for good: nothing is lost silently, so what is still queued goes out on `dropped$`. */
  dispose(): void {
    this.detach();
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
    const bytes = transport.send(parcel === undefined ? (item as Message) : parcel.message, this.binary);
    if (bytes < 0) return false;
    this.counters.messagesOut++;
    this.counters.bytesOut += bytes;
    parcel?.sent(transport);
    return true;
  }

  private drop(message: Message): void {
    this.counters.dropped++;
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
    const { maxQueue, overflow } = this.config;
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
    const live = this.live;
    const queue = this.queue;
    if (live === undefined || queue === undefined) return;
    const { highWaterMark } = this.config;
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
    this.drainTimer = this.config.scheduler.schedule(() => {
      this.drainTimer = undefined;
      this.drain();
    }, DRAIN_POLL_MS);
  }
}
