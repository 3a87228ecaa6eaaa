import { expect } from 'chai';
import type { SchedulerAction } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { keepAlive, type KeepAliveSignal } from '../lib/keepalive.js';

describe('keepAlive', function () {
  this.timeout(2000);

  /** Frames at the given times; returns the signals with their times. */
  function watch(frames: number[], until: number, interval = 100, timeout = 40): [number, KeepAliveSignal][] {
    const scheduler = new TestScheduler(() => undefined);
    const got: [number, KeepAliveSignal][] = [];
    scheduler.run(() => {
      const activity = { seen: 0 };
      for (const t of frames) scheduler.schedule(() => (activity.seen = scheduler.now()), t);
      const sub = keepAlive(activity, interval, timeout, scheduler, (s) => got.push([scheduler.now(), s]));
      scheduler.schedule(() => sub.unsubscribe(), until);
    });
    return got;
  }

  it('pings after interval ms of silence and reports the dead connection timeout ms later', () => {
    expect(watch([], 1000)).to.deep.equal([
      [100, 'PING_DUE'],
      [140, 'PONG_TIMEOUT'],
    ]);
  });

  it('measures silence from the last frame, re-armed for exactly the time left', () => {
    expect(watch([30, 70], 1000)).to.deep.equal([
      [170, 'PING_DUE'],
      [210, 'PONG_TIMEOUT'],
    ]);
  });

  it('any frame after the ping answers it; the next ping comes interval ms after that frame', () => {
    expect(watch([120], 1000)).to.deep.equal([
      [100, 'PING_DUE'],
      [220, 'PING_DUE'],
      [260, 'PONG_TIMEOUT'],
    ]);
  });

  // API.md: a ping goes out after pingInterval ms without an incoming frame, every time, whatever
  // pongTimeout is. Each ping is answered 5 ms later (the pong is a frame).
  for (const [interval, timeout, ordering] of [
    [200, 300, 'below'],
    [300, 300, 'equal to'],
    [400, 300, 'above'],
  ] as const) {
    it(`with pingInterval ${ordering} pongTimeout, an answered ping is followed by the next after pingInterval of silence`, () => {
      const scheduler = new TestScheduler(() => undefined);
      const pings: number[] = [];
      const dead: number[] = [];
      scheduler.run(() => {
        const activity = { seen: 0 };
        const sub = keepAlive(activity, interval, timeout, scheduler, (signal) => {
          if (signal === 'PONG_TIMEOUT') return void dead.push(scheduler.now());
          pings.push(scheduler.now());
          scheduler.schedule(() => (activity.seen = scheduler.now()), 5);
        });
        scheduler.schedule(() => sub.unsubscribe(), 4 * (interval + 5) + 1);
      });
      expect(pings).to.deep.equal([1, 2, 3, 4].map((n) => n * interval + (n - 1) * 5));
      expect(dead).to.deep.equal([]);
    });
  }

  it('an answer that comes after pingInterval but within pongTimeout starts the next silence at once', () => {
    // interval 100, timeout 300: ping at 100, answered at 350; the next ping is due at 450.
    expect(watch([350], 700, 100, 300)).to.deep.equal([
      [100, 'PING_DUE'],
      [450, 'PING_DUE'],
    ]);
  });

  it('watches on one scheduler share one timer and each keeps its own deadlines; another scheduler is apart', () => {
    const scheduler = new TestScheduler(() => undefined);
    const other = new TestScheduler(() => undefined);
    const got: string[] = [];
    let most = 0;
    scheduler.run(() => {
      // Counts the keep-alive actions pending at once: scheduled, and neither run nor cancelled.
      const live = new Set<object>();
      const counting = {
        now: () => scheduler.now(),
        schedule: ((work: (this: SchedulerAction<unknown>, state?: unknown) => void, delay?: number, state?: unknown) => {
          const token = {};
          live.add(token);
          most = Math.max(most, live.size);
          const action = scheduler.schedule(
            function (this: SchedulerAction<unknown>, st?: unknown) {
              live.delete(token);
              work.call(this, st);
            },
            delay,
            state,
          );
          const unsubscribe = action.unsubscribe.bind(action);
          action.unsubscribe = () => {
            live.delete(token);
            unsubscribe();
          };
          return action;
        }) as typeof scheduler.schedule,
      };
      const a = { seen: 0 };
      const b = { seen: 0 };
      const watchA = keepAlive(a, 100, 40, counting, (s) => got.push(`${scheduler.now()} a ${s}`));
      keepAlive(b, 70, 500, counting, (s) => got.push(`${scheduler.now()} b ${s}`));
      keepAlive({ seen: 0 }, 10, 10, other, (s) => got.push(`other ${other.now()} ${s}`));
      scheduler.schedule(() => (b.seen = scheduler.now()), 75);
      scheduler.schedule(() => watchA.unsubscribe(), 120);
      scheduler.schedule(() => (a.seen = scheduler.now()), 130); // a is gone: nothing more from it
    });
    // b: pinged at 70, answered at 75, pinged again at 145, then silence until pongTimeout.
    expect(got).to.deep.equal(['70 b PING_DUE', '100 a PING_DUE', '145 b PING_DUE', '645 b PONG_TIMEOUT']);
    expect(most).to.equal(1);
    other.flush(); // the other scheduler's watch ran on none of the first one's time
    expect(got.slice(4)).to.deep.equal(['other 10 PING_DUE', 'other 20 PONG_TIMEOUT']);
  });

  it('a deadline met on a late clock gets one more turn, so an answer already waiting is read first', () => {
    // A clock that runs 30 ms late from t=139 on, as a busy event loop would.
    function run(answerAt: number | undefined): string[] {
      const scheduler = new TestScheduler(() => undefined);
      const got: string[] = [];
      scheduler.run(() => {
        let skew = 0;
        const late = { now: () => scheduler.now() + skew, schedule: scheduler.schedule.bind(scheduler) };
        const activity = { seen: 0 };
        scheduler.schedule(() => (skew = 30), 139);
        if (answerAt !== undefined) scheduler.schedule(() => (activity.seen = late.now()), answerAt);
        const watch = keepAlive(activity, 100, 40, late, (signal) => got.push(`${scheduler.now()} ${signal}`));
        scheduler.schedule(() => watch.unsubscribe(), 200);
      });
      return got;
    }
    expect(run(141)).to.deep.equal(['100 PING_DUE']); // the answer read on the extra turn
    expect(run(undefined)).to.deep.equal(['100 PING_DUE', '141 PONG_TIMEOUT']); // none: dead, one turn later
  });

  it('creates no timer per frame: a busy connection is checked once per interval', () => {
    const scheduler = new TestScheduler(() => undefined);
    let checks = 0;
    scheduler.run(() => {
      const activity = { seen: 0 };
      const counting = { now: () => (checks++, scheduler.now()), schedule: scheduler.schedule.bind(scheduler) };
      for (let t = 1; t < 1000; t++) scheduler.schedule(() => (activity.seen = scheduler.now()), t);
      const sub = keepAlive(activity, 100, 40, counting, () => undefined);
      scheduler.schedule(() => sub.unsubscribe(), 1000);
    });
    expect(checks).to.be.at.most(11);
  });
});
