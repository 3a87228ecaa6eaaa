import { expect } from 'chai';
import { count } from '../../scripts/stage-counts.js';

describe('npm test: reading a stage’s counts', () => {
  it('adds up every mocha summary, colored or not', () => {
    const out = '\n  12 passing (3s)\n  1 pending\n  2 failing\n\n  \x1b[32m 4 passing\x1b[0m (1s)\n';
    expect(count(out)).to.deep.equal({ passed: 16, failed: 2, pending: 1 });
  });

  it('reads a closing "N passed, M failed" line (the last one)', () => {
    expect(count('check:docs: 3 passed, 9 failed\ncheck:docs: 49 passed, 2 failed\n')).to.deep.equal({ passed: 49, failed: 2, pending: 0 });
  });

  it('counts check-package’s ok and FAIL lines', () => {
    expect(count('ok   npm pack (92 files)\nFAIL attw\nok   publint --strict\n     ok nested detail\n')).to.deep.equal({
      passed: 2,
      failed: 1,
      pending: 0,
    });
  });

  it('reads nothing from output it does not know (the runner then goes by the exit code)', () => {
    expect(count('')).to.equal(undefined);
    expect(count('src/a.ts:1:1 error no-unused-vars\n')).to.equal(undefined);
  });
});
