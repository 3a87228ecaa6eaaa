import { expect } from 'chai';
import { Trampoline } from '../lib/trampoline.js';
import { collectUnhandled } from './support/unhandled.js';

describe('Trampoline', function () {
  this.timeout(2000);

  it('handles an event raised during another after it, in order, never re-entrantly', () => {
    const t = new Trampoline<string>();
    const got: string[] = [];
    let depth = 0;
    t.subscribe((v) => {
      depth++;
      got.push(`${v}@${depth}`);
      if (v === 'a') {
        t.next('b');
        t.next('c');
      }
      if (v === 'b') t.next('d');
      depth--;
    });
    t.next('a');
    expect(got).to.deep.equal(['a@1', 'b@1', 'c@1', 'd@1']);
  });

  it('has one subscriber: a second while the first is there is refused with an error', () => {
    const t = new Trampoline<number>();
    const first = t.subscribe(() => undefined);
    const refused: unknown[] = [];
    t.subscribe({ error: (e: unknown) => refused.push(e) });
    expect(refused).to.have.length(1);
    expect((refused[0] as Error).message).to.match(/one subscriber/);
    first.unsubscribe();
    const got: number[] = [];
    t.subscribe((v) => got.push(v));
    t.next(1);
    expect(got).to.deep.equal([1]);
  });

  it('a subscriber that throws is reported as RxJS reports it, and delivery goes on', async () => {
    const t = new Trampoline<number>();
    const got: number[] = [];
    // RxJS reports on the next macrotask, which collectUnhandled waits for.
    const reported = await collectUnhandled(() => {
      t.subscribe((v) => {
        if (v === 1) throw new Error('x');
        got.push(v);
      });
      t.next(1);
      t.next(2);
    });
    expect(got).to.deep.equal([2]);
    expect(reported).to.have.length(1);
  });
});
