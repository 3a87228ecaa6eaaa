import { expect } from 'chai';
import { Subscription, type SchedulerLike } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { Clock, clockOf, Deadline } from '../lib/clock.js';
import { countingScheduler } from './support/scheduler.js';

/** A deadline that reports its name once when due, or again `every` ms while `every` is set. */
class Named extends Deadline<string> {
  constructor(
    protected readonly clock: Clock,
    due: number,
    private readonly name: string,
    private readonly got: string[],
    private readonly onSignal?: () => void,
    private readonly every?: number,
  ) {
    super(due);
  }

  override check(now: number): number | undefined {
    this.clock.report(this, this.name);
    return this.every === undefined ? undefined : now + this.every;
  }

  override signal(name: string): void {
    this.got.push(`${this.clock.scheduler.now()} ${name}`);
    this.onSignal?.();
  }
}

/**
 * Runs `body` on the clock of a counting TestScheduler; returns what the deadlines reported, how
 * many actions the clock asked the scheduler for, and how many were still pending at the end.
 */
function onClock(body: (clock: Clock, got: string[]) => void): { got: string[]; made: number; pending: number } {
  const test = new TestScheduler(() => undefined);
  const got: string[] = [];
  const calls: string[] = [];
  test.run(() => body(clockOf(countingScheduler(test, calls)), got));
  const made = calls.filter((call) => call.startsWith('schedule ')).length;
  return { got, made, pending: test.actions.length };
}

describe('Clock', function () {
  this.timeout(2000);

  it('runs every deadline when due, earliest first, on one scheduled action', () => {
    const { got, made } = onClock((clock, got) => {
      for (const [name, due] of [
        ['c', 30],
        ['a', 10],
        ['d', 40],
        ['b', 20],
      ] as const) {
        clock.add(new Named(clock, due, name, got), 0);
      }
    });
    expect(got).to.deep.equal(['10 a', '20 b', '30 c', '40 d']);
    expect(made).to.equal(1);
  });

  it('of deadlines due at once, the first armed goes first, as separate timers would', () => {
    const { got } = onClock((clock, got) => {
      // Enough of them that heap order alone would not keep the order they were armed in.
      for (let i = 0; i < 20; i++) clock.add(new Named(clock, i % 2 === 0 ? 50 : 25, `#${i}`, got), 0);
    });
    const odd = Array.from({ length: 10 }, (_, k) => `25 #${2 * k + 1}`);
    const even = Array.from({ length: 10 }, (_, k) => `50 #${2 * k}`);
    expect(got).to.deep.equal([...odd, ...even]);
  });

  it('a deadline moved to a time already taken goes after the ones armed there before it', () => {
    const { got } = onClock((clock, got) => {
      const moved = new Named(clock, 10, 'moved', got);
      clock.add(moved, 0);
      clock.add(new Named(clock, 30, 'first', got), 0);
      clock.move(moved, 30, 0);
      clock.add(new Named(clock, 30, 'last', got), 0);
    });
    expect(got).to.deep.equal(['30 first', '30 moved', '30 last']);
  });

  it('a deadline moved to the time it already has goes after the ones armed there since', () => {
    const { got } = onClock((clock, got) => {
      const moved = new Named(clock, 30, 'moved', got);
      clock.add(moved, 0);
      clock.add(new Named(clock, 30, 'other', got), 0);
      clock.move(moved, 30, 0);
    });
    expect(got).to.deep.equal(['30 other', '30 moved']);
  });

  it('keeps the order of separate timers through thousands of adds, moves and removes', () => {
    // A small seeded generator: the same sequence every run, so a failure can be replayed.
    let seed = 12345;
    const random = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; // exact in 32 bits
      return (seed >>> 16) % n; // the low bits of such a generator repeat too soon
    };
    let expected: string[] = [];
    const { got } = onClock((clock, got) => {
      const kept = new Map<Named, { name: string; due: number; armed: number }>();
      let arms = 0;
      for (let k = 0; k < 3000; k++) {
        const live = [...kept.keys()];
        const pick = live[random(Math.max(1, live.length))];
        const op = random(10);
        const due = 1 + random(200); // many ties: the tie-break is exercised too
        if (op < 5 || pick === undefined) {
          const deadline = new Named(clock, due, `#${k}`, got);
          clock.add(deadline, 0);
          kept.set(deadline, { name: `#${k}`, due, armed: arms++ });
        } else if (op < 8) {
          clock.move(pick, due, 0);
          kept.set(pick, { name: (kept.get(pick) as { name: string }).name, due, armed: arms++ });
        } else {
          pick.unsubscribe();
          kept.delete(pick);
        }
        // Now and then most of the deadlines go at once.
        if (k % 1000 === 499) {
          for (const deadline of [...kept.keys()].slice(10)) {
            deadline.unsubscribe();
            kept.delete(deadline);
          }
        }
        expect(clock.size).to.equal(kept.size);
      }
      for (const [deadline, { due }] of kept) expect(deadline.due).to.equal(due);
      expected = [...kept.values()].sort((a, b) => a.due - b.due || a.armed - b.armed).map((d) => `${d.due} ${d.name}`);
    });
    expect(expected.length).to.be.above(100);
    expect(got).to.deep.equal(expected);
  });

  it('reports once every due deadline is checked; one cancelled by an earlier report is not reported', () => {
    const { got } = onClock((clock, got) => {
      let victim: Named | undefined = undefined;
      // "killer" and "victim" are due together; killer's report cancels victim before it is delivered.
      clock.add(new Named(clock, 10, 'killer', got, () => victim?.unsubscribe()), 0);
      victim = new Named(clock, 10, 'victim', got);
      clock.add(victim, 0);
      clock.add(new Named(clock, 10, 'bystander', got), 0);
    });
    expect(got).to.deep.equal(['10 killer', '10 bystander']);
  });

  it('deadlines added from a report are kept, and a clock left empty holds no action', () => {
    const { got, made, pending } = onClock((clock, got) => {
      clock.add(new Named(clock, 10, 'first', got, () => clock.add(new Named(clock, 15, 'added', got), 10)), 0);
    });
    expect(got).to.deep.equal(['10 first', '15 added']);
    expect(made).to.equal(1); // the one action was rescheduled, not replaced
    expect(pending).to.equal(0);
  });

  it('held, the heap changes at once and the scheduler hears of it once, at the last release', () => {
    const test = new TestScheduler(() => undefined);
    const got: string[] = [];
    const calls: string[] = [];
    test.run(() => {
      const clock = clockOf(countingScheduler(test, calls));
      const retry = new Named(clock, 1000, 'retry', got);
      clock.add(retry, 0);
      expect(calls).to.deep.equal(['schedule 1000']);
      // What a reconnect's step does (the retry timer goes, leaving the clock empty for a moment;
      // the connect timer comes), under two holds, as nested steps would take them.
      clock.hold();
      clock.hold();
      retry.unsubscribe();
      const connect = new Named(clock, 30, 'connect', got);
      clock.add(connect, 0);
      clock.add(new Named(clock, 20, 'uptime', got), 0);
      expect(clock.size).to.equal(2);
      clock.release();
      expect(calls).to.deep.equal(['schedule 1000']);
      clock.release();
      expect(calls).to.deep.equal(['schedule 1000', 'reschedule 20']);
      // A hold with no change makes no call; one that leaves the clock empty cancels at the release.
      clock.hold();
      clock.release();
      expect(calls).to.have.length(2);
      test.schedule(() => {
        clock.hold();
        connect.unsubscribe();
        const brief = new Named(clock, 100, 'brief', got);
        clock.add(brief, 25);
        brief.unsubscribe();
        expect(calls).to.have.length(3); // the move from 20 to 30, when uptime was due
        clock.release();
      }, 25);
    });
    expect(got).to.deep.equal(['20 uptime']);
    expect(calls.slice(2)).to.deep.equal(['reschedule 10', 'unsubscribe']);
  });

  it("counts whole milliseconds from the scheduler's time when it was made, and keeps deadlines on that count", () => {
    const test = new TestScheduler(() => undefined);
    const got: string[] = [];
    let times: number[] = [];
    test.run(() => {
      // Date's time, with a fraction: the clock's own count is small and whole.
      const dated: SchedulerLike = { now: () => 1_764_460_800_000.25 + test.now(), schedule: test.schedule.bind(test) };
      test.schedule(() => {
        const clock = new Clock(dated);
        expect(clock.epoch).to.equal(1_764_460_800_005.25);
        times = [clock.now()];
        clock.add(new Named(clock, clock.now() + 10, 'a', got), clock.now());
        test.schedule(() => times.push(clock.now()), 7);
      }, 5);
    });
    expect(times).to.deep.equal([0, 7]);
    expect(got).to.deep.equal(['1764460800015.25 a']); // 10 ms after it was made, on the scheduler's time
  });

  it('a repeating deadline stays until unsubscribed; each scheduler has its own clock', () => {
    const a = new TestScheduler(() => undefined);
    const b = new TestScheduler(() => undefined);
    expect(clockOf(a)).to.equal(clockOf(a));
    expect(clockOf(a)).to.not.equal(clockOf(b));
    const got: string[] = [];
    a.run(() => {
      const clock = clockOf(a);
      const tick = new Named(clock, 10, 'tick', got, undefined, 10);
      clock.add(tick, 0);
      a.schedule(() => tick.unsubscribe(), 35);
    });
    expect(got).to.deep.equal(['10 tick', '20 tick', '30 tick']);
  });

  it("works on a scheduler of one's own that gives back plain Subscriptions and no action as `this`", () => {
    const test = new TestScheduler(() => undefined);
    const got: string[] = [];
    let pending = 0;
    const plain: SchedulerLike = {
      now: () => test.now(),
      schedule: (work: (state?: unknown) => void, delay?: number, state?: unknown) => {
        pending++;
        const action = test.schedule(() => {
          pending--;
          work.call(undefined, state);
        }, delay);
        return new Subscription(() => {
          if (!action.closed) pending--;
          action.unsubscribe();
        });
      },
    };
    test.run(() => {
      const clock = clockOf(plain);
      const late = new Named(clock, 40, 'late', got);
      clock.add(late, 0);
      clock.add(new Named(clock, 20, 'early', got), 0); // the action armed for 40 is replaced
      clock.add(new Named(clock, 30, 'middle', got), 0);
      test.schedule(() => late.unsubscribe(), 35);
    });
    expect(got).to.deep.equal(['20 early', '30 middle']);
    expect(pending).to.equal(0); // nothing left scheduled
  });
});
