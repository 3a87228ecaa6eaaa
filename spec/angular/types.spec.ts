// ws-machine/angular supports Angular 20 to 22: its sources and a consumer (consumer.ts) must
// type-check against each. 21 is the repository's own Angular; 20 and 22 are installed in
// spec/angular/ng20 and ng22 by `npm install` (see their package.json). Angular 22 declares
// engines node ^22.22.3 || ^24.15 || >=26, so npm installs it only as an optional dependency there,
// leaving it out silently on an older Node: then its check is pending, and says why.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSC = `${ROOT}node_modules/typescript/bin/tsc`;

interface Check {
  label: string;
  tsconfig: string;
  core: string;
}

const CHECKS: Check[] = [
  { label: '20', tsconfig: 'spec/angular/ng20/tsconfig.json', core: 'spec/angular/ng20/node_modules/@angular/core' },
  { label: '21', tsconfig: 'spec/angular/tsconfig.json', core: 'node_modules/@angular/core' },
  { label: '22', tsconfig: 'spec/angular/ng22/tsconfig.json', core: 'spec/angular/ng22/node_modules/@angular/core' },
];

function version(core: string): string | undefined {
  const file = `${ROOT}${core}/package.json`;
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version : undefined;
}

function tsc(tsconfig: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [TSC, '-p', tsconfig], { cwd: ROOT, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, out: stdout + stderr });
    });
  });
}

// Started when mocha loads this file, so that the checks run beside the example's `ng build`
// (app.spec.ts), which leaves a core idle much of the time; each test awaits its own.
const runs = new Map<string, Promise<{ code: number; out: string }>>();
for (const check of CHECKS) if (version(check.core) !== undefined) runs.set(check.label, tsc(check.tsconfig));

describe('ws-machine/angular type-checks against Angular 20, 21 and 22', function () {
  this.timeout(90_000);

  for (const check of CHECKS) {
    it(`against @angular/core ${check.label}`, async function () {
      const installed = version(check.core);
      if (installed === undefined) {
        console.log(
          `      pending: @angular/core ${check.label} is not installed in ${check.core} (npm leaves out this optional dependency on Node ${process.versions.node}: its engines need a newer Node)`,
        );
        this.skip();
      }
      expect(installed.split('.')[0]).to.equal(check.label);
      const { code, out } = await runs.get(check.label)!;
      expect(out.trim(), `tsc -p ${check.tsconfig} (@angular/core ${installed})`).to.equal('');
      expect(code).to.equal(0);
    });
  }
});
