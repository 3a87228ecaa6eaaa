import { expect } from 'chai';
import { map, Subscriber, Subscription } from 'rxjs';
import { Multicast } from '../lib/multicast.js';
import { collectUnhandled } from './support/unhandled.js';

describe('Multicast', function () {
  this.timeout(2000);

  it('delivers to every subscriber; unsubscribing during a delivery does not disturb it', () => {
    const m = new Multicast<number>();
    const got: string[] = [];
    const a = m.observable.subscribe((v) => {
      got.push(`a${v}`);
      a.unsubscribe();
    });
    m.observable.subscribe((v) => got.push(`b${v}`));
    m.emit(1);
    m.emit(2);
    expect(got).to.deep.equal(['a1', 'b1', 'b2']);
  });

  it('goes from one subscriber to several and back: each value reaches the open ones, in the order they came', () => {
    const m = new Multicast<number>();
    const got: string[] = [];
    const a = m.observable.subscribe((v) => got.push(`a${v}`));
    m.emit(1);
    const b = m.observable.subscribe((v) => got.push(`b${v}`));
    const c = m.observable.subscribe((v) => got.push(`c${v}`));
    m.emit(2);
    a.unsubscribe();
    c.unsubscribe();
    m.emit(3); // b alone again
    b.unsubscribe();
    m.emit(4); // nobody
    m.observable.subscribe((v) => got.push(`d${v}`));
    m.emit(5);
    expect(got).to.deep.equal(['a1', 'a2', 'b2', 'c2', 'b3', 'd5']);
  });

  it('subscribers that come and go many times do not pile up', () => {
    const m = new Multicast<number>();
    const keep = m.observable.subscribe(() => undefined);
    for (let i = 0; i < 1000; i++) m.observable.subscribe(() => undefined).unsubscribe();
    const held = (m as unknown as { subscribers: unknown }).subscribers;
    expect(Array.isArray(held) ? (held as unknown[]).length : 1).to.be.at.most(16);
    keep.unsubscribe();
  });

  it('with replay, gives a new subscriber the latest value, and after completion that value then completion', () => {
    const m = new Multicast<number>(true);
    m.emit(1);
    m.emit(2);
    const got: unknown[] = [];
    m.observable.subscribe({ next: (v) => got.push(v), complete: () => got.push('done') });
    m.end();
    m.observable.subscribe({ next: (v) => got.push(`late ${v}`), complete: () => got.push('late done') });
    expect(got).to.deep.equal([2, 'done', 'late 2', 'late done']);
  });

  it('without replay, a late subscriber gets only completion', () => {
    const m = new Multicast<number>();
    m.emit(1);
    m.end();
    const got: unknown[] = [];
    m.observable.subscribe({ next: (v) => got.push(v), complete: () => got.push('done') });
    expect(got).to.deep.equal(['done']);
  });

  it('is its own read side: an Observable with no next, error or complete to push through', () => {
    const m = new Multicast<number>();
    expect(m.observable).to.equal(m);
    for (const name of ['next', 'error', 'complete']) expect((m as unknown as Record<string, unknown>)[name], name).to.equal(undefined);
  });

  it('a callback subscription is one Subscription, neither a SafeSubscriber nor wrapped; it is the one returned', () => {
    const m = new Multicast<number>();
    const got: number[] = [];
    const sub = m.observable.subscribe((v) => got.push(v));
    expect(sub).to.be.instanceOf(Subscription);
    expect(sub).not.to.be.instanceOf(Subscriber);
    expect((m as unknown as { subscribers: unknown }).subscribers).to.equal(sub);
    m.emit(1);
    sub.unsubscribe();
    expect(sub.closed).to.equal(true);
    // The callback (and what it holds) is let go at once, though the Multicast drops the Sink later.
    const held = (sub as unknown as { callback: unknown }).callback;
    expect(typeof held).to.equal('object');
    expect(Object.keys(held as object)).to.deep.equal([]);
    m.emit(2);
    expect(got).to.deep.equal([1]);
  });

  it('a callback subscription does what a Subscription does, with only the fields it uses until then', () => {
    const m = new Multicast<number>();
    const got: number[] = [];
    const sub = m.observable.subscribe((v) => got.push(v));
    expect(Object.keys(sub).sort()).to.deep.equal(['callback', 'closed']);
    const torn: string[] = [];
    sub.add(() => torn.push('added'));
    const removed = () => torn.push('removed');
    sub.add(removed);
    sub.remove(removed);
    // Held by a parent: unsubscribed with it, and the parent lets go of it when it ends first.
    const parent = new Subscription();
    parent.add(sub);
    m.emit(1);
    parent.unsubscribe();
    expect(sub.closed).to.equal(true);
    expect(torn).to.deep.equal(['added']);
    m.emit(2);
    expect(got).to.deep.equal([1]);
    const other = m.observable.subscribe((v) => got.push(v * 10));
    const keeper = new Subscription();
    keeper.add(other);
    other.unsubscribe();
    keeper.unsubscribe(); // other already gone from keeper: nothing runs twice
    m.emit(3);
    expect(got).to.deep.equal([1]);
  });

  it('calls a partial observer as a method of that observer, and ends it on completion', () => {
    const m = new Multicast<number>();
    const observer = {
      seen: [] as unknown[],
      next(v: number) {
        this.seen.push(v);
      },
      complete() {
        this.seen.push('done');
      },
    };
    const sub = m.observable.subscribe(observer);
    m.emit(1);
    m.end();
    expect(observer.seen).to.deep.equal([1, 'done']);
    expect(sub.closed).to.equal(true);
  });

  it('a callback that throws is reported as RxJS reports it; the other subscribers and later values still arrive', async () => {
    const m = new Multicast<number>();
    const got: string[] = [];
    const boom = new Error('boom');
    const reported = await collectUnhandled((soFar) => {
      m.observable.subscribe((v) => {
        if (v === 1) throw boom;
        got.push(`a${v}`);
      });
      m.observable.subscribe({ next: (v) => got.push(`b${v}`) });
      m.emit(1);
      m.emit(2);
      expect(soFar).to.deep.equal([]); // not synchronously: on a clean stack
    });
    expect(got).to.deep.equal(['b1', 'a2', 'b2']);
    expect(reported).to.deep.equal([boom]);
  });

  it('operators and the three-callback form subscribe the usual way', () => {
    const m = new Multicast<number>();
    const got: unknown[] = [];
    m.observable.pipe(map((v) => v * 10)).subscribe((v) => got.push(v));
    // eslint-disable-next-line @typescript-eslint/no-deprecated, rxjs-x/prefer-observer -- the form under test
    m.observable.subscribe(
      (v) => got.push(`cb${v}`),
      undefined,
      () => got.push('cb done'),
    );
    m.emit(1);
    m.end();
    expect(got).to.deep.equal([10, 'cb1', 'cb done']);
  });
});
