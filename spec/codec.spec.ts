import { expect } from 'chai';
import { json } from '../lib/codec.js';

describe('json()', function () {
  this.timeout(2000);

  it('sends text frames', () => {
    expect(json().format).to.equal('text');
  });

  it('encodes with JSON.stringify and refuses a value with no JSON form', () => {
    const codec = json();
    expect(codec.encode({ a: [1, 'x'] })).to.equal('{"a":[1,"x"]}');
    expect(() => codec.encode(undefined)).to.throw(TypeError, /undefined has no JSON form/);
    expect(() => codec.encode(() => 1)).to.throw(TypeError, /function has no JSON form/);
    const cyclic: { self?: unknown } = {};
    cyclic.self = cyclic;
    expect(() => codec.encode(cyclic)).to.throw(TypeError);
  });

  it('decodes text frames and UTF-8 binary frames', () => {
    const codec = json<{ p: string }>();
    expect(codec.decode('{"p":"é"}')).to.deep.equal({ p: 'é' });
    expect(codec.decode(new TextEncoder().encode('{"p":"é"}'))).to.deep.equal({ p: 'é' });
  });

  it('rejects text that is not JSON and bytes that are not UTF-8', () => {
    const codec = json();
    expect(() => codec.decode('{nope')).to.throw(SyntaxError);
    expect(() => codec.decode(new Uint8Array([0x22, 0xff, 0x22]))).to.throw(TypeError);
  });
});
