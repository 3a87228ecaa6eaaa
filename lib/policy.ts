import { backoff } from './backoff.js';
import { MAX_TIMER_MS, type Config } from './config.js';

/**
 * The reducer's policy is read from the config, with every user callback made total: the reducer
 * is pure and must not see a throw. What a callback did wrong goes to the host (the machine's
 * `errors$`), and a safe value is used instead. These are functions of the host rather than an
 * object of their own: the engine is the policy the reducer reads, one object fewer per machine.
 */
export interface PolicyHost {
  readonly config: Config;
  report(option: string, cause: unknown): void;
}

/** Keep-alive runs with native pings, or with a heartbeat where there are none; never with `pingInterval: 0`. */
export function keepAliveOn(config: Config): boolean {
  return config.pingInterval > 0 && (config.native || config.heartbeat !== undefined);
}

/** `retryDelay` made total: a throw or a value out of range is reported, and the default used. */
export function retryDelayOf(host: PolicyHost, attempt: number): number {
  const retryDelay = host.config.retryDelay;
  if (typeof retryDelay === 'number') return retryDelay;
  if (retryDelay === backoff) return backoff(attempt);
  let delay: unknown;
  try {
    delay = retryDelay(attempt);
  } catch (error) {
    host.report('retryDelay', error);
    return backoff(attempt);
  }
  if (typeof delay === 'number' && delay >= 0 && delay <= MAX_TIMER_MS) return delay;
  host.report(
    'retryDelay',
    new RangeError(`retryDelay(${attempt}) returned ${String(delay)}; expected ms from 0 to ${MAX_TIMER_MS}. Using the default backoff.`),
  );
  return backoff(attempt);
}

/** `shouldReconnect` made total: a throw is reported, and read as "stay up". */
export function shouldReconnectOn(host: PolicyHost, error: Error): boolean {
  const decide = host.config.shouldReconnect;
  if (decide === undefined) return true;
  try {
    return Boolean(decide(error) as unknown); // untyped callers: any truthy value
  } catch (thrown) {
    host.report('shouldReconnect', thrown);
    return true;
  }
}
