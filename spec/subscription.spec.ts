import { expect } from 'chai';
import { Subscription } from 'rxjs';
import { LeanSubscription } from '../lib/subscription.js';

class Child extends LeanSubscription {
  ended = 0;
  override unsubscribe(): void {
    if (!this.closed) this.ended++;
    super.unsubscribe();
  }
}

describe('LeanSubscription', function () {
  this.timeout(2000);

  it('is a Subscription made without the fields of its constructor', () => {
    const sub = new Child();
    expect(sub).to.be.instanceOf(Subscription);
    expect(Object.keys(sub).sort()).to.deep.equal(['closed', 'ended']);
    expect(sub.closed).to.equal(false);
  });

  it('adds, removes and runs teardowns as a Subscription does, and only once', () => {
    const sub = new Child();
    const ran: string[] = [];
    sub.add(() => ran.push('a'));
    const b = () => ran.push('b');
    sub.add(b);
    sub.remove(b);
    const inner = new Subscription(() => ran.push('inner'));
    sub.add(inner);
    sub.unsubscribe();
    sub.unsubscribe();
    expect(ran).to.deep.equal(['a', 'inner']);
    expect([sub.closed, inner.closed, sub.ended]).to.deep.equal([true, true, 1]);
    // Closed: a teardown added now runs at once, as RxJS does.
    sub.add(() => ran.push('late'));
    expect(ran).to.deep.equal(['a', 'inner', 'late']);
  });

  it('as a child: unsubscribed with its parent, and taken out of the parent when it ends first', () => {
    const parent = new Subscription();
    const first = new Child();
    const second = new Child();
    parent.add(first);
    parent.add(second);
    second.unsubscribe();
    parent.unsubscribe();
    expect([first.closed, first.ended, second.ended]).to.deep.equal([true, 1, 1]);
  });
});
