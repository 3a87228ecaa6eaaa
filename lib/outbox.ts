import type { Observable, SchedulerLike, Subscription } from 'rxjs';
import { Multicast } from './multicast.js';
import { Queue } from './queue.js';
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
 * The output path: the bounded queue and its overflow policy, `dropped$`, flow control against the
 * socket's `bufferedAmount`, and the current frame format. While attached to a CONNECTED socket a
 * message goes straight to it (the hot path); otherwise, or while the socket is backed up, it waits
 * in the queue, which drains oldest first.
 */
export class Outbox {
  /** The frame format for everything sent from now on, queued messages included. */
  binary: boolean;
  private readonly queue = new Queue<Message>();
  private readonly droppedCast = new Multicast<Message>();
  private live: Transport | undefined;
  private drainTimer: Subscription | undefined;
  private disposed = false;

  constructor(
    private readonly config: OutboxConfig,
    binary: boolean,
  ) {
    this.binary = binary;
  }

  /** Every message the queue gave up: on overflow, and whatever is still queued at `dispose()`. */
  get dropped$(): Observable<Message> {
    return this.droppedCast.observable;
  }

  /** The socket is CONNECTED: flush the queue into it, then send directly. */
  attach(transport: Transport): void {
    this.live = transport;
    this.drain();
  }

  /** The socket is gone: queue from now on. */
  detach(): void {
    this.live = undefined;
    this.drainTimer?.unsubscribe();
    this.drainTimer = undefined;
  }

  /** Sends at once when the socket has room and nothing is queued ahead; queues otherwise. */
  send(message: Message): void {
    if (this.disposed) return;
    const live = this.live;
    if (live !== undefined && this.queue.length === 0 && live.bufferedAmount <= this.config.highWaterMark && live.send(message, this.binary)) {
      return;
    }
    this.enqueue(message);
    if (live !== undefined) this.scheduleDrain();
  }

  /** Sends on `transport` now, past the queue (handshake and heartbeat messages). */
  sendNow(transport: Transport, message: Message): boolean {
    return transport.send(message, this.binary);
  }

  /** Stops for good: nothing is lost silently, so what is still queued goes out on `dropped$`. */
  dispose(): void {
    this.detach();
    this.disposed = true;
    for (const message of this.queue.drain()) this.droppedCast.next(message);
    this.droppedCast.complete();
  }

  private enqueue(message: Message): void {
    const { maxQueue, overflow } = this.config;
    if (this.queue.length >= maxQueue) {
      if (overflow === 'drop-newest' || maxQueue === 0) {
        this.droppedCast.next(message);
        return;
      }
      this.droppedCast.next(this.queue.shift() as Message);
    }
    this.queue.push(message);
  }

  /** Sends queued messages, oldest first, while the socket is open and has room. */
  private drain(): void {
    const live = this.live;
    if (live === undefined) return;
    const { highWaterMark } = this.config;
    while (this.queue.length > 0) {
      if (live.bufferedAmount > highWaterMark) {
        this.scheduleDrain();
        return;
      }
      if (!live.send(this.queue.peek() as Message, this.binary)) return; // closing: the drop will follow
      this.queue.shift();
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
