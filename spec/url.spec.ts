import { expect } from 'chai';
import { redactUrl } from '../lib/url.js';

describe('redactUrl', function () {
  this.timeout(2000);
  const rows: [string, string][] = [
    ['ws://example.test/feed', 'ws://example.test/feed'],
    ['wss://alice:s3cret@example.test/', 'wss://***@example.test/'],
    ['wss://alice:p@ss@example.test/', 'wss://***@example.test/'],
    ['ws://example.test/?token=abc&room=1', 'ws://example.test/?token=***&room=***'],
    ['ws://example.test/?token=abc#x', 'ws://example.test/?token=***#x'],
    ['not a url ?key=v', 'not a url ?key=***'],
  ];
  for (const [input, output] of rows) it(`${input} → ${output}`, () => expect(redactUrl(input)).to.equal(output));
});
