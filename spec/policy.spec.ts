import { expect } from 'chai';
import { backoff } from '../lib/backoff.js';
import { resolveOptions } from '../lib/config.js';
import type { MachineOptions } from '../lib/options.js';
import WebSocket from 'ws';
import { keepAliveOn, retryDelayOf, shouldReconnectOn } from '../lib/policy.js';
import { nodePlatform } from '../lib/platform-node.js';

interface Asked {
  retryDelay(attempt: number): number;
  shouldReconnect(error: Error): boolean;
  keepAlive: boolean;
}

/** The policy functions over a host that records its reports, as the engine is their host. */
function policy(options: MachineOptions): { policy: Asked; reports: [string, unknown][] } {
  const reports: [string, unknown][] = [];
  const config = resolveOptions(options, nodePlatform);
  const host = { config, report: (option: string, cause: unknown) => void reports.push([option, cause]) };
  return {
    policy: {
      retryDelay: (attempt) => retryDelayOf(host, attempt),
      shouldReconnect: (error) => shouldReconnectOn(host, error),
      keepAlive: keepAliveOn(config),
    },
    reports,
  };
}

describe('policy: user callbacks made total', function () {
  this.timeout(2000);

  it('a fixed retryDelay, the default backoff, and a function are asked as given', () => {
    expect(policy({ retryDelay: 250 }).policy.retryDelay(3)).to.equal(250);
    expect(policy({}).policy.retryDelay(2)).to.be.within(1000, 2000);
    expect(policy({ retryDelay: (n) => n * 10 }).policy.retryDelay(4)).to.equal(40);
    expect(backoff(1)).to.be.within(500, 1000);
  });

  it('a retryDelay that throws or answers out of range is reported and replaced by the default', () => {
    const boom = new Error('boom');
    for (const [given, cause] of [
      [
        () => {
          throw boom;
        },
        boom,
      ],
      [() => Number.NaN, RangeError],
      [() => -1, RangeError],
      [() => 2 ** 31, RangeError],
    ] as const) {
      const { policy: p, reports } = policy({ retryDelay: given });
      expect(p.retryDelay(1)).to.be.within(500, 1000);
      expect(reports).to.have.length(1);
      expect(reports[0]?.[0]).to.equal('retryDelay');
      if (cause === boom) expect(reports[0]?.[1]).to.equal(boom);
      else expect(reports[0]?.[1]).to.be.instanceOf(RangeError);
    }
  });

  it('shouldReconnect: absent is true, a throw is reported and read as true, a truthy answer counts', () => {
    expect(policy({}).policy.shouldReconnect(new Error('x'))).to.equal(true);
    const throwing = policy({
      shouldReconnect: () => {
        throw new Error('nope');
      },
    });
    expect(throwing.policy.shouldReconnect(new Error('x'))).to.equal(true);
    expect(throwing.reports.map(([o]) => o)).to.deep.equal(['shouldReconnect']);
    expect(policy({ shouldReconnect: () => false }).policy.shouldReconnect(new Error('x'))).to.equal(false);
  });

  it('keep-alive is on with native pings, or with a heartbeat on the standard API; off with pingInterval 0', () => {
    expect(policy({}).policy.keepAlive).to.equal(true);
    expect(policy({ pingInterval: 0 }).policy.keepAlive).to.equal(false);
    const Ws = WebSocket as never;
    expect(policy({ WebSocket: Ws }).policy.keepAlive).to.equal(false);
    expect(policy({ WebSocket: Ws, heartbeat: 'hb' }).policy.keepAlive).to.equal(true);
  });
});
