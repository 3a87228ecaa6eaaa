import { backoff } from './backoff.js';
import { MAX_TIMER_MS, type Config } from './config.js';
import type { Policy } from './reducer.js';

/** Where a policy reports what a user callback did wrong: the machine's `errors$`. */
export interface PolicyHost {
  report(option: string, cause: unknown): void;
}

/**
 * The reducer's policy, read from the config, with every user callback made total: the reducer is
 * pure and must not see a throw. What a callback did wrong goes to the host, and a safe value is
 * used instead. One object per machine, methods on the prototype: no closures.
 */
export class SafePolicy implements Policy {
  constructor(
    private readonly config: Config,
    private readonly host: PolicyHost,
  ) {}

  // Read from the config when the reducer asks (once per transition at most), not copied.
  get connectTimeout(): number {
    return this.config.connectTimeout;
  }

  get minUptime(): number {
    return this.config.minUptime;
  }

  get keepAlive(): boolean {
    const config = this.config;
    return config.pingInterval > 0 && (config.native || config.heartbeat !== undefined);
  }

  get handshake(): boolean {
    return this.config.handshake !== undefined;
  }

  get maxAttempts(): number {
    return this.config.maxAttempts;
  }

  /** `retryDelay` made total: a throw or a value out of range is reported, and the default used. */
  retryDelay(attempt: number): number {
    const retryDelay = this.config.retryDelay;
    if (typeof retryDelay === 'number') return retryDelay;
    if (retryDelay === backoff) return backoff(attempt);
    let delay: unknown;
    try {
      delay = retryDelay(attempt);
    } catch (error) {
      this.host.report('retryDelay', error);
      return backoff(attempt);
    }
    if (typeof delay === 'number' && delay >= 0 && delay <= MAX_TIMER_MS) return delay;
    this.host.report(
      'retryDelay',
      new RangeError(`retryDelay(${attempt}) returned ${String(delay)}; expected ms from 0 to ${MAX_TIMER_MS}. Using the default backoff.`),
    );
    return backoff(attempt);
  }

  /** `shouldReconnect` made total: a throw is reported, and read as "stay up". */
  shouldReconnect(error: Error): boolean {
    const decide = this.config.shouldReconnect;
    if (decide === undefined) return true;
    try {
      return Boolean(decide(error) as unknown); // untyped callers: any truthy value
    } catch (thrown) {
      this.host.report('shouldReconnect', thrown);
      return true;
    }
  }
}
