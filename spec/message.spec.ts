import { expect } from 'chai';
import { asBytes, asText, toMessage } from '../lib/message.js';

describe('toMessage', function () {
  this.timeout(2000);

  it('keeps strings and Uint8Arrays as they are (no copy)', () => {
    const bytes = new Uint8Array([1, 2]);
    expect(toMessage('hi')).to.equal('hi');
    expect(toMessage(bytes)).to.equal(bytes);
  });

  it('takes exactly the bytes of any view, over the same memory', () => {
    const buffer = new ArrayBuffer(8);
    new Uint8Array(buffer).set([0, 1, 2, 3, 4, 5, 6, 7]);
    const view = toMessage(new DataView(buffer, 2, 3)) as Uint8Array;
    expect([...view]).to.deep.equal([2, 3, 4]);
    expect(view.buffer).to.equal(buffer);
    expect([...(toMessage(new Uint16Array(buffer, 4, 1)) as Uint8Array)]).to.deep.equal([4, 5]);
    expect((toMessage(buffer) as Uint8Array).byteLength).to.equal(8);
  });

  it('throws a TypeError naming what it got for anything else', () => {
    for (const [value, kind] of [
      [42, 'number'],
      [null, 'null'],
      [{}, 'Object'],
      [[1], 'Array'],
      [undefined, 'undefined'],
    ] as const) {
      expect(() => toMessage(value)).to.throw(TypeError, new RegExp(`got ${kind}$`));
    }
  });

  it('converts between text and bytes for a frame type the API would not send otherwise', () => {
    expect([...asBytes('hé')]).to.deep.equal([0x68, 0xc3, 0xa9]);
    expect(asText(new Uint8Array([0x68, 0xc3, 0xa9]))).to.equal('hé');
  });
});
