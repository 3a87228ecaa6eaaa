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
