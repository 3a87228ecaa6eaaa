import { expect } from 'chai';
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

  it('with pongTimeout longer than pingInterval, the next ping still comes interval ms after the answer', () => {
    expect(watch([130], 1000, 100, 300)).to.deep.equal([
      [100, 'PING_DUE'],
      [230, 'PING_DUE'],
      [530, 'PONG_TIMEOUT'],
    ]);
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
