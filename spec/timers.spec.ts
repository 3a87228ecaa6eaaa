import { expect } from 'chai';
import { TestScheduler } from 'rxjs/testing';
import type { Event } from '../lib/reducer.js';
import { Timers } from '../lib/timers.js';

describe('Timers', function () {
  this.timeout(2000);

  function run(body: (timers: Timers, scheduler: TestScheduler, event: (e: Event) => void) => void): [number, Event][] {
    const scheduler = new TestScheduler(() => undefined);
    const got: [number, Event][] = [];
    const event = (e: Event): void => void got.push([scheduler.now(), e]);
    scheduler.run(() => body(new Timers({ scheduler, event }), scheduler, event));
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
        t.keepAlive({ seen: 0, keepAliveSignal: (type) => event({ type, id: 4 }) }, 40, 10);
        s.schedule(() => t.cancelAll(), 45);
      }),
    ).to.deep.equal([[40, { type: 'PING_DUE', id: 4 }]]);
  });
});
