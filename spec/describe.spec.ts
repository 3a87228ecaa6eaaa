import { expect } from 'chai';
import { describeValue, errorText, kindOf } from '../lib/describe.js';

describe('describe: naming a bad value in an error message', function () {
  this.timeout(2000);

  it('kindOf names the kind, across realms by tag', () => {
    expect([null, undefined, 1, 'x', {}, [], new Map(), () => 1].map(kindOf)).to.deep.equal([
      'null',
      'undefined',
      'number',
      'string',
      'Object',
      'Array',
      'Map',
      'function',
    ]);
  });

  it('describeValue shows short primitives, never objects or long strings (they may be secrets)', () => {
    expect(describeValue(5)).to.equal('number 5');
    expect(describeValue('abc')).to.equal('the string "abc"');
    expect(describeValue('x'.repeat(41))).to.equal('a string');
    expect(describeValue({ token: 's3cret' })).to.equal('Object');
    expect(describeValue(undefined)).to.equal('undefined');
  });

  it('errorText reads an Error or anything thrown', () => {
    expect(errorText(new Error('boom'))).to.equal('boom');
    expect(errorText('plain')).to.equal('plain');
  });
});
