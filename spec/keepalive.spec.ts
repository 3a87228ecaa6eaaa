import { expect } from 'chai';
import type { SchedulerAction, SchedulerLike } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { clockOf } from '../lib/clock.js';
import { keepAlive, type KeepAliveSettings, type KeepAliveSignal, type Watched } from '../lib/keepalive.js';

/** The connection a test watches: `seen` is set by the test, signals go to `report`. */
function watching(activity: { seen: number }, report: (signal: KeepAliveSignal) => void): Watched {
  return Object.assign(activity, { keepAliveSignal: report });
}

/**
 * A keep-alive's settings on `scheduler`'s clock. Every test makes that clock at time 0, so the
 * clock's time (what `seen` is in) is the scheduler's.
 */
function settings(pingInterval: number, pongTimeout: number, scheduler: SchedulerLike): KeepAliveSettings {
  return { pingInterval, pongTimeout, clock: clockOf(scheduler) };
}

describe('keepAlive', function () {
  this.timeout(2000);

  /** Frames at the given times; returns the signals with their times. */
  function watch(frames: number[], until: number, interval = 100, timeout = 40): [number, KeepAliveSignal][] {
    const scheduler = new TestScheduler(() => undefined);
    const got: [number, KeepAliveSignal][] = [];
    scheduler.run(() => {
      const activity = { seen: 0 };
      for (const t of frames) scheduler.schedule(() => (activity.seen = scheduler.now()), t);
      const sub = keepAlive(
        watching(activity, (s) => got.push([scheduler.now(), s])),
        settings(interval, timeout, scheduler),
      );
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
  // pongTimeout is. Each ping is answered 5 ms later, by a message or by a pong (which the
  // machine passes on through `answered()`).
  for (const answer of ['message', 'pong'] as const) {
    for (const [interval, timeout, ordering] of [
      [200, 300, 'below'],
      [300, 300, 'equal to'],
      [400, 300, 'above'],
    ] as const) {
      it(`with pingInterval ${ordering} pongTimeout, a ping answered by a ${answer} is followed by the next after pingInterval of silence`, () => {
        const scheduler = new TestScheduler(() => undefined);
        const pings: number[] = [];
        const dead: number[] = [];
        scheduler.run(() => {
          const activity = { seen: 0 };
          const sub = keepAlive(
            watching(activity, (signal) => {
              if (signal === 'PONG_TIMEOUT') return void dead.push(scheduler.now());
              pings.push(scheduler.now());
              scheduler.schedule(() => {
                activity.seen = scheduler.now();
                if (answer === 'pong') sub.answered();
              }, 5);
            }),
            settings(interval, timeout, scheduler),
          );
          scheduler.schedule(() => sub.unsubscribe(), 4 * (interval + 5) + 1);
        });
        expect(pings).to.deep.equal([1, 2, 3, 4].map((n) => n * interval + (n - 1) * 5));
        expect(dead).to.deep.equal([]);
      });
    }
  }

  it('a pong re-arms the watch: an idle connection costs the clock one look per ping, not two', () => {
    // interval 100, timeout 40: pings at 100, 205, 310 …, each answered by a pong 5 ms later.
    function looks(pong: boolean): number {
      const scheduler = new TestScheduler(() => undefined);
      let fires = 0;
      scheduler.run(() => {
        const counting = {
          now: () => scheduler.now(),
          schedule: ((work: (this: SchedulerAction<unknown>, state?: unknown) => void, delay?: number, state?: unknown) =>
            scheduler.schedule(
              function (this: SchedulerAction<unknown>, s?: unknown) {
                fires++;
                work.call(this, s);
              },
              delay,
              state,
            )) as typeof scheduler.schedule,
        };
        const activity = { seen: 0 };
        const sub = keepAlive(
          watching(activity, () =>
            scheduler.schedule(() => {
              activity.seen = scheduler.now();
              if (pong) sub.answered();
            }, 5),
          ),
          settings(100, 40, counting),
        );
        scheduler.schedule(() => sub.unsubscribe(), 1000);
      });
      return fires;
    }
    // One fire per ping (9 of them before 1000); a message answer needs a second look per cycle.
    expect(looks(true)).to.equal(9);
    expect(looks(false)).to.equal(18);
  });

  it('the clock reschedules its one action instead of making a new one each time it fires', () => {
    const scheduler = new TestScheduler(() => undefined);
    let made = 0;
    scheduler.run(() => {
      const counting = {
        now: () => scheduler.now(),
        schedule: ((...args: Parameters<typeof scheduler.schedule>) => (made++, scheduler.schedule(...args))) as typeof scheduler.schedule,
      };
      const activity = { seen: 0 };
      const sub = keepAlive(
        watching(activity, () => scheduler.schedule(() => (activity.seen = scheduler.now()), 5)),
        settings(100, 40, counting),
      );
      scheduler.schedule(() => sub.unsubscribe(), 1000);
    });
    expect(made).to.equal(1);
  });

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
      const watchA = keepAlive(
        watching(a, (s) => got.push(`${scheduler.now()} a ${s}`)),
        settings(100, 40, counting),
      );
      keepAlive(
        watching(b, (s) => got.push(`${scheduler.now()} b ${s}`)),
        settings(70, 500, counting),
      );
      keepAlive(
        watching({ seen: 0 }, (s) => got.push(`other ${other.now()} ${s}`)),
        settings(10, 10, other),
      );
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
        const watch = keepAlive(
          watching(activity, (signal) => got.push(`${scheduler.now()} ${signal}`)),
          settings(100, 40, late),
        );
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
      const sub = keepAlive(
        watching(activity, () => undefined),
        settings(100, 40, counting),
      );
      scheduler.schedule(() => sub.unsubscribe(), 1000);
    });
    expect(checks).to.be.at.most(11);
  });
});
