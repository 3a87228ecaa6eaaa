import type { SchedulerLike, Subscription } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';

type Watched = Subscription & { schedule(state?: unknown, delay?: number): Subscription };

/**
 * A scheduler that runs on `test` and writes down every call the clock makes of it: `schedule D`
 * (a new action), `reschedule D` (an action moved), `unsubscribe` (an action cancelled).
 */
export function countingScheduler(test: TestScheduler, calls: string[]): SchedulerLike {
  const watch = (action: Watched): Watched => {
    const schedule = action.schedule.bind(action);
    const unsubscribe = action.unsubscribe.bind(action);
    action.schedule = (state, delay) => {
      calls.push(`reschedule ${delay}`);
      return watch(schedule(state, delay) as Watched);
    };
    action.unsubscribe = () => {
      calls.push('unsubscribe');
      unsubscribe();
    };
    return action;
  };
  return {
    now: () => test.now(),
    schedule: (work: (this: unknown, state?: unknown) => void, delay?: number, state?: unknown) => {
      calls.push(`schedule ${delay}`);
      return watch(test.schedule(work, delay, state) as Watched);
    },
  } as SchedulerLike;
}
