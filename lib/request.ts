import { Observable, Subscription, type SchedulerLike } from 'rxjs';
import { MAX_TIMER_MS } from './config.js';
import { describeValue } from './describe.js';
import { RequestError } from './errors.js';
import type { Parcel } from './outbox.js';
import type { Transport } from './transport.js';
import { State, type Message, type Status } from './types.js';

/** The default `timeout` of a request, in ms. */
export const DEFAULT_REQUEST_TIMEOUT = 10_000;

/**
 * How a `request()` recognises its reply, and how long it waits for it.
 *
 * @example
 * ```ts
 * import { Machine, json, type RequestOptions } from 'ws-machine';
 * type Reply = { id: number; ok: boolean };
 * const byId = (id: number): RequestOptions<Reply> => ({ match: (m) => m.id === id, timeout: 5000 });
 * const machine = new Machine('ws://127.0.0.1:8080/', { codec: json<Reply, { id: number; op: string }>() });
 * machine.request({ id: 7, op: 'buy' }, byId(7)).subscribe({ next: (r) => console.log(r.ok), error: (e) => console.warn(e) });
 * ```
 */
export interface RequestOptions<In, R extends In = In> {
  /** Which received value is the reply: the first after the message was sent for which this is true. */
  match: ((message: In) => message is R) | ((message: In) => boolean);
  /** ms from subscription until the request fails with reason `'timeout'`; default 10000, `Infinity` for none. */
  timeout?: number;
}

/** What a request needs from its machine. */
export interface RequestHost<In> {
  readonly input$: Observable<In>;
  readonly state$: Observable<Status>;
  readonly scheduler: SchedulerLike;
  /** True once the machine has stopped (or QUIT was given). */
  readonly stopped: boolean;
  /** Through the outbox: sent now when CONNECTED, queued otherwise. */
  post(parcel: Parcel): void;
  /** A user callback failed: to `errors$`. */
  report(option: string, cause: unknown): void;
}

/** Checks `timeout` at once: a bad one throws from `request()`, not later. */
export function requestTimeout(options: { timeout?: unknown } | undefined): number {
  const timeout = options?.timeout ?? DEFAULT_REQUEST_TIMEOUT;
  // Beyond setTimeout's limit a timer would fire at once: such a wait is Infinity or an error.
  if (typeof timeout !== 'number' || !(timeout > 0) || (timeout > MAX_TIMER_MS && timeout !== Infinity)) {
    throw new RangeError(
      `request timeout must be a positive number of ms up to ${MAX_TIMER_MS}, or Infinity, got ${describeValue(timeout)}`,
    );
  }
  return timeout;
}

/**
 * One request: lazy; on subscription the (already encoded) message is sent or queued, and the first
 * matching value received after it was sent is the reply.
 */
export function request<In, R extends In>(
  host: RequestHost<In>,
  message: Message,
  match: (value: In) => boolean,
  timeout: number,
): Observable<R> {
  return new Observable<R>((subscriber) => {
    const fail = (reason: RequestError['reason'], text: string): void => subscriber.error(new RequestError(reason, `request ${text}`));
    if (host.stopped) {
      fail('stopped', 'failed: the machine has stopped');
      return undefined;
    }
    let carrier: Transport | undefined;
    const work = new Subscription();
    const parcel: Parcel = {
      message,
      cancelled: false,
      sent: (transport) => {
        carrier = transport;
      },
      dropped: () => fail('dropped', 'dropped: the queue gave it up on overflow'),
    };
    // Listening starts before the message goes out, so no reply can slip past.
    work.add(
      host.input$.subscribe({
        next: (value) => {
          if (carrier === undefined || !matches(host, match, value)) return;
          subscriber.next(value as R);
          subscriber.complete();
        },
        complete: () => fail('stopped', 'failed: the machine stopped before the reply'),
      }),
    );
    work.add(
      host.state$.subscribe((status) => {
        // Only the connection that carried the message matters; a QUIT's DISCONNECTED has no error.
        if (carrier === undefined || status.state !== State.DISCONNECTED) return;
        if (status.error === undefined) fail('stopped', 'failed: the machine stopped before the reply');
        else fail('disconnected', `failed: the connection dropped before the reply (${status.error.message})`);
      }),
    );
    if (timeout !== Infinity) work.add(host.scheduler.schedule(() => fail('timeout', `timed out after ${timeout} ms`), timeout));
    host.post(parcel);
    return () => {
      parcel.cancelled = true; // still queued: it will never be sent
      work.unsubscribe();
    };
  });
}

function matches<In>(host: RequestHost<In>, match: (value: In) => boolean, value: In): boolean {
  try {
    return match(value);
  } catch (error) {
    host.report('request match', error);
    return false;
  }
}
