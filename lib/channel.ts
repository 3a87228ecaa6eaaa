import { Observable, share, type Subscriber } from 'rxjs';
import type { Message } from './types.js';

/**
 * One logical subscription multiplexed over the machine's socket: what to send to join and leave
 * it, and which received values belong to it.
 *
 * @example
 * ```ts
 * import { Machine, json, type ChannelSpec } from 'ws-machine';
 * type In = { channel: string; price: number };
 * type Out = { op: 'join' | 'leave'; channel: string };
 * const acme: ChannelSpec<In, Out> = {
 *   subscribe: () => ({ op: 'join', channel: 'ACME' }),
 *   unsubscribe: () => ({ op: 'leave', channel: 'ACME' }),
 *   filter: (m) => m.channel === 'ACME',
 * };
 * const machine = new Machine('ws://127.0.0.1:8080/', { codec: json<In, Out>() });
 * machine.channel(acme).subscribe((m) => console.log(m.price));
 * ```
 */
export interface ChannelSpec<In, Out, T extends In = In> {
  /** The message that joins the channel: sent on the first subscriber and on every later CONNECTED. */
  subscribe?: () => Out;
  /** The message that leaves it: sent when the last subscriber leaves, if CONNECTED. */
  unsubscribe?: () => Out;
  /** Which received values belong to the channel; a type guard narrows `T`. */
  filter: ((message: In) => message is T) | ((message: In) => boolean);
}

/** What channels need from their machine. */
export interface ChannelHost<In, Out> {
  readonly input$: Observable<In>;
  /** Encodes a value with the codec; throws as `output.next` would. */
  encode(value: Out): Message;
  /** Sends on the CONNECTED socket now, ahead of the queue; false when not CONNECTED. */
  sendAhead(message: Message): boolean;
  /** A user callback failed: to `errors$`. */
  report(option: string, cause: unknown): void;
}

/**
 * The machine's channels. Each is shared (one server-side subscription however many subscribers),
 * and the set of live ones is re-joined on every CONNECTED, ahead of the queue.
 */
export class Channels<In, Out> {
  private readonly live = new Set<ChannelSpec<In, Out, In>>();

  constructor(private readonly host: ChannelHost<In, Out>) {}

  open<T extends In>(spec: ChannelSpec<In, Out, T>): Observable<T> {
    check(spec);
    // A copy per call: the same spec given twice is two channels, each joined and left on its own.
    const entry: ChannelSpec<In, Out, In> = { subscribe: spec.subscribe, unsubscribe: spec.unsubscribe, filter: spec.filter };
    const channel$ = new Observable<T>((subscriber: Subscriber<T>) => {
      this.live.add(entry);
      this.send(entry, 'subscribe');
      const inner = this.host.input$.subscribe({
        next: (value) => {
          if (this.passes(entry, value)) subscriber.next(value as T);
        },
        // The machine stopped: so does the channel.
        complete: () => subscriber.complete(),
      });
      return () => {
        inner.unsubscribe();
        this.live.delete(entry);
        this.send(entry, 'unsubscribe'); // only while CONNECTED; never queued
      };
    });
    return channel$.pipe(share());
  }

  /** CONNECTED: every live channel's subscribe message, before the queue is flushed. */
  rejoin(): void {
    for (const entry of this.live) this.send(entry, 'subscribe');
  }

  private send(entry: ChannelSpec<In, Out, In>, which: 'subscribe' | 'unsubscribe'): void {
    const make = entry[which];
    if (make === undefined) return;
    let message: Message;
    try {
      message = this.host.encode(make());
    } catch (error) {
      this.host.report(`channel ${which}`, error);
      return;
    }
    this.host.sendAhead(message);
  }

  private passes(entry: ChannelSpec<In, Out, In>, value: In): boolean {
    try {
      return entry.filter(value);
    } catch (error) {
      this.host.report('channel filter', error);
      return false;
    }
  }
}

function check(spec: unknown): void {
  const s = spec as Partial<Record<'subscribe' | 'unsubscribe' | 'filter', unknown>> | null;
  if (s === null || typeof s !== 'object') throw new TypeError('channel() takes { subscribe?, unsubscribe?, filter }');
  if (typeof s.filter !== 'function') throw new TypeError('channel filter must be a function (message) => boolean');
  for (const name of ['subscribe', 'unsubscribe'] as const) {
    if (s[name] !== undefined && typeof s[name] !== 'function')
      throw new TypeError(`channel ${name} must be a function returning the message to send`);
  }
}
