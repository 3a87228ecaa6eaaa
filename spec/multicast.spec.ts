import { expect } from 'chai';
import { Multicast } from '../lib/multicast.js';

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
    m.next(1);
    m.next(2);
    expect(got).to.deep.equal(['a1', 'b1', 'b2']);
  });

  it('goes from one subscriber to several and back: each value reaches the open ones, in the order they came', () => {
    const m = new Multicast<number>();
    const got: string[] = [];
    const a = m.observable.subscribe((v) => got.push(`a${v}`));
    m.next(1);
    const b = m.observable.subscribe((v) => got.push(`b${v}`));
    const c = m.observable.subscribe((v) => got.push(`c${v}`));
    m.next(2);
    a.unsubscribe();
    c.unsubscribe();
    m.next(3); // b alone again
    b.unsubscribe();
    m.next(4); // nobody
    m.observable.subscribe((v) => got.push(`d${v}`));
    m.next(5);
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
    m.next(1);
    m.next(2);
    const got: unknown[] = [];
    m.observable.subscribe({ next: (v) => got.push(v), complete: () => got.push('done') });
    m.complete();
    m.observable.subscribe({ next: (v) => got.push(`late ${v}`), complete: () => got.push('late done') });
    expect(got).to.deep.equal([2, 'done', 'late 2', 'late done']);
  });

  it('without replay, a late subscriber gets only completion', () => {
    const m = new Multicast<number>();
    m.next(1);
    m.complete();
    const got: unknown[] = [];
    m.observable.subscribe({ next: (v) => got.push(v), complete: () => got.push('done') });
    expect(got).to.deep.equal(['done']);
  });
});
