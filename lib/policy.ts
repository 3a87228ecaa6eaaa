import { backoff } from './backoff.js';
import { MAX_TIMER_MS, type Config } from './config.js';
import type { Policy } from './reducer.js';

const always = (): boolean => true;

/**
 * The reducer's policy from the config, with every user callback made total: the reducer is pure
 * and must not see a throw. What a callback did wrong goes to `report`, and a safe value is used.
 */
export function policyOf(config: Config, report: (option: string, problem: unknown) => void): Policy {
  return {
    connectTimeout: config.connectTimeout,
    minUptime: config.minUptime,
    keepAlive: config.pingInterval > 0 && (config.native || config.heartbeat !== undefined),
    handshake: config.handshake !== undefined,
    maxAttempts: config.maxAttempts,
    retryDelay: config.defaultRetryDelay ? backoff : safeRetryDelay(config.retryDelay, report),
    shouldReconnect: config.shouldReconnect === undefined ? always : safeShouldReconnect(config.shouldReconnect, report),
  };
}

/** `retryDelay` made total: a throw or a value out of range is reported, and the default used. */
function safeRetryDelay(retryDelay: (attempt: number) => number, report: (option: string, problem: unknown) => void): (attempt: number) => number {
  return (attempt) => {
    let delay: unknown;
    try {
      delay = retryDelay(attempt);
    } catch (error) {
      report('retryDelay', error);
      return backoff(attempt);
    }
    if (typeof delay === 'number' && delay >= 0 && delay <= MAX_TIMER_MS) return delay;
    report('retryDelay', new RangeError(`retryDelay(${attempt}) returned ${String(delay)}; expected ms from 0 to ${MAX_TIMER_MS}. Using the default backoff.`));
    return backoff(attempt);
  };
}

/** `shouldReconnect` made total: a throw is reported, and read as "stay up". */
function safeShouldReconnect(decide: (error: Error) => boolean, report: (option: string, problem: unknown) => void): (error: Error) => boolean {
  return (error) => {
    try {
      return Boolean(decide(error));
    } catch (thrown) {
      report('shouldReconnect', thrown);
      return true;
    }
  };
}
