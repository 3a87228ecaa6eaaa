import { expect } from 'chai';
import { Queue } from '../lib/queue.js';

describe('Queue', function () {
  this.timeout(2000);

  it('is first in, first out across growth and wrap-around', () => {
    const q = new Queue<number>();
    const out: number[] = [];
    for (let i = 0; i < 10; i++) q.push(i);
    for (let i = 0; i < 7; i++) out.push(q.shift() as number);
    for (let i = 10; i < 30; i++) q.push(i);
    expect(q.length).to.equal(23);
    expect(q.peek()).to.equal(7);
    out.push(...q.drain());
    expect(out).to.deep.equal([...Array(30).keys()]);
    expect(q.length).to.equal(0);
    expect(q.shift()).to.equal(undefined);
  });
});
