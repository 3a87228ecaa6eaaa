/** The longest the default backoff waits between attempts, in ms. */
export const MAX_BACKOFF = 30_000;

/**
 * The default `retryDelay`: random in [d/2, d] with d = min(30 s, 1 s × 2^(attempt−1)), so that
 * clients dropped together do not all come back in the same millisecond.
 *
 * @example
 * ```ts
 * import { Machine, backoff } from 'ws-machine';
 * new Machine('ws://127.0.0.1:8080/', { retryDelay: (attempt) => (attempt > 5 ? 60_000 : backoff(attempt)) });
 * ```
 */
export function backoff(attempt: number): number {
  const d = Math.min(MAX_BACKOFF, 1000 * 2 ** Math.max(0, attempt - 1));
  return Math.round(d / 2 + (Math.random() * d) / 2);
}
