import { expect } from 'chai';
import { TestScheduler } from 'rxjs/testing';
import { clockOf } from '../lib/clock.js';
import type { Event } from '../lib/reducer.js';
import { Timers } from '../lib/timers.js';

describe('Timers', function () {
  this.timeout(2000);

  function run(body: (timers: Timers, scheduler: TestScheduler, event: (e: Event) => void) => void): [number, Event][] {
    const scheduler = new TestScheduler(() => undefined);
    const got: [number, Event][] = [];
    const event = (e: Event): void => void got.push([scheduler.now(), e]);
    scheduler.run(() => body(new Timers({ clock: clockOf(scheduler), event }), scheduler, event));
    return got;
  }

  it('each one-shot timer raises its event with its attempt id, on the scheduler', () => {
    expect(
      run((t) => {
        t.start('connect', 1, 50);
        t.start('retry', 2, 20);
        t.start('uptime', 3, 30);
      }),
    ).to.deep.equal([
      [20, { type: 'RETRY', id: 2 }],
      [30, { type: 'STABLE', id: 3 }],
      [50, { type: 'CONNECT_TIMEOUT', id: 1 }],
    ]);
  });

  it('starting a timer replaces the running one of the same name; cancel and cancelAll stop them', () => {
    expect(
      run((t, s, event) => {
        t.start('connect', 1, 50);
        t.start('connect', 2, 60);
        t.start('retry', 3, 10);
        t.cancel('retry');
        t.keepAlive({ seen: 0, keepAliveSignal: (type) => event({ type, id: 4 }) }, { pingInterval: 40, pongTimeout: 10, clock: t.clock });
        s.schedule(() => t.cancelAll(), 45);
      }),
    ).to.deep.equal([[40, { type: 'PING_DUE', id: 4 }]]);
  });

  it('timers due at once fire in the order they were started, across machines on one scheduler', () => {
    const scheduler = new TestScheduler(() => undefined);
    const got: string[] = [];
    scheduler.run(() => {
      const a = new Timers({ clock: clockOf(scheduler), event: (e) => got.push(`${scheduler.now()} a ${e.type}`) });
      const b = new Timers({ clock: clockOf(scheduler), event: (e) => got.push(`${scheduler.now()} b ${e.type}`) });
      b.start('uptime', 1, 30);
      a.start('connect', 1, 30);
      b.start('retry', 1, 10);
      a.start('retry', 1, 30);
    });
    expect(got).to.deep.equal(['10 b RETRY', '30 b STABLE', '30 a CONNECT_TIMEOUT', '30 a RETRY']);
  });

  it('a timer cancelled by an event raised at the same instant does not fire', () => {
    const scheduler = new TestScheduler(() => undefined);
    const got: string[] = [];
    scheduler.run(() => {
      const timers: Timers = new Timers({
        clock: clockOf(scheduler),
        event: (e) => {
          got.push(`${scheduler.now()} ${e.type}`);
          if (e.type === 'STABLE') timers.cancel('connect');
        },
      });
      timers.start('uptime', 1, 20);
      timers.start('connect', 1, 20);
    });
    expect(got).to.deep.equal(['20 STABLE']);
  });

  it('a thousand machines starting and cancelling timers share one scheduled action', () => {
    const scheduler = new TestScheduler(() => undefined);
    let made = 0;
    const got: Event[] = [];
    scheduler.run(() => {
      const counting = {
        now: () => scheduler.now(),
        schedule: ((...args: Parameters<typeof scheduler.schedule>) => (made++, scheduler.schedule(...args))) as typeof scheduler.schedule,
      };
      for (let id = 1; id <= 1000; id++) {
        const t = new Timers({ clock: clockOf(counting), event: (e) => got.push(e) });
        t.start('connect', id, 100 + (id % 7));
        if (id % 10 !== 1) t.cancel('connect'); // most sockets open before their timeout
      }
    });
    expect(got).to.have.length(100);
    expect(made).to.equal(1);
  });
});
