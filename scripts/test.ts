// `npm test`: runs every stage in order, streams its output, counts what each stage passed and
// failed, goes on after a failing stage, and ends with a table and one line,
// `tests: N passed, M failed`, that adds up every stage.
//
//   npm test                       every stage
//   npm test -- unit integration   only the stages whose names contain one of the words
//
// To add a stage, add its npm script and one line to STAGES. A stage's counts are read from its
// output (see `count`): mocha's "N passing / N failing / N pending", check-package's "ok"/"FAIL"
// lines, or a final "N passed, M failed" line; a stage that prints none of these counts as one
// test, passed when it exits with 0. A stage that exits non-zero always counts at least one failure.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { count } from './stage-counts.js';

interface Stage {
  /** The npm script to run. */
  readonly script: string;
  /** Kill the stage after this many ms (it then counts as failed). */
  readonly limitMs: number;
}

const MIN = 60_000;
const STAGES: readonly Stage[] = [
  { script: 'lint', limitMs: 3 * MIN },
  { script: 'format:check', limitMs: 2 * MIN },
  { script: 'typecheck', limitMs: 3 * MIN },
  { script: 'test:unit', limitMs: 2 * MIN },
  { script: 'test:integration', limitMs: 3 * MIN },
  { script: 'test:reliability', limitMs: 4 * MIN },
  { script: 'test:angular', limitMs: 3 * MIN },
  { script: 'test:browser', limitMs: 3 * MIN },
  { script: 'check:package', limitMs: 4 * MIN },
  { script: 'check:docs', limitMs: 3 * MIN },
  { script: 'test:runtimes', limitMs: 3 * MIN },
];

interface Result {
  readonly script: string;
  readonly passed: number;
  readonly failed: number;
  readonly pending: number;
  readonly ms: number;
  /** Why the stage did not run or did not finish, when it did not. */
  readonly note?: string;
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

let interrupted = false;

function runStage(stage: Stage): Promise<Result> {
  const started = Date.now();
  if (!(stage.script in scripts)) {
    return Promise.resolve({
      script: stage.script,
      passed: 0,
      failed: 0,
      pending: 0,
      ms: 0,
      note: 'not run: package.json has no such script',
    });
  }
  return new Promise((done) => {
    // A process group of its own, so that a stage over its limit is stopped with everything it started.
    const child = spawn('npm', ['run', '--silent', stage.script], { cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const take = (to: NodeJS.WriteStream) => (chunk: Buffer) => {
      output += chunk.toString();
      to.write(chunk);
    };
    child.stdout.on('data', take(process.stdout));
    child.stderr.on('data', take(process.stderr));
    let note: string | undefined;
    const limit = setTimeout(() => {
      note = `killed after ${stage.limitMs / 1000} s`;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, stage.limitMs);
    const stopOnSignal = (): void => {
      interrupted = true;
      note = 'interrupted (Ctrl-C)';
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        /* already gone */
      }
    };
    process.once('SIGINT', stopOnSignal);
    child.on('error', (e) => {
      note = `could not start: ${e.message}`;
    });
    child.on('close', (code, signal) => {
      clearTimeout(limit);
      process.off('SIGINT', stopOnSignal);
      const ms = Date.now() - started;
      const counts = count(output) ?? (code === 0 ? { passed: 1, failed: 0, pending: 0 } : { passed: 0, failed: 0, pending: 0 });
      let failed = counts.failed;
      if (code !== 0 && failed === 0) {
        // It printed no failure but did not succeed (a crash, a timeout, a leaked handle): one failure.
        failed = 1;
        note ??= signal ? `ended by ${signal}` : `exit code ${String(code)} with no failing test reported`;
      }
      done({ script: stage.script, passed: counts.passed, failed, pending: counts.pending, ms, ...(note ? { note } : {}) });
    });
  });
}

function secs(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

async function main(): Promise<void> {
  const words = process.argv.slice(2);
  const chosen = words.length ? STAGES.filter((s) => words.some((w) => s.script.includes(w))) : STAGES;
  const started = Date.now();
  const results: Result[] = [];
  for (const stage of chosen) {
    if (interrupted) {
      results.push({ script: stage.script, passed: 0, failed: 0, pending: 0, ms: 0, note: 'not run: interrupted' });
      continue;
    }
    console.log(`\n━━ ${stage.script} ${'━'.repeat(Math.max(3, 60 - stage.script.length))}`);
    const result = await runStage(stage);
    results.push(result);
    const status = result.failed ? 'FAILED' : result.note ? 'SKIPPED' : 'ok';
    console.log(
      `━━ ${stage.script}: ${status}, ${result.passed} passed, ${result.failed} failed in ${secs(result.ms)}${result.note ? ` (${result.note})` : ''}`,
    );
  }
  const total = Date.now() - started;
  const passed = results.reduce((n, r) => n + r.passed, 0);
  const failed = results.reduce((n, r) => n + r.failed, 0);
  const width = Math.max(...results.map((r) => r.script.length), 5);
  console.log(
    `\n${'stage'.padEnd(width)}  ${'passed'.padStart(6)}  ${'failed'.padStart(6)}  ${'pending'.padStart(7)}  ${'time'.padStart(8)}`,
  );
  for (const r of results) {
    const mark = r.failed ? '  ✗' : r.note ? '  -' : '';
    console.log(
      `${r.script.padEnd(width)}  ${String(r.passed).padStart(6)}  ${String(r.failed).padStart(6)}  ${String(r.pending).padStart(7)}  ${secs(r.ms).padStart(8)}${mark}${r.note ? ` ${r.note}` : ''}`,
    );
  }
  console.log(
    `${'total'.padEnd(width)}  ${String(passed).padStart(6)}  ${String(failed).padStart(6)}  ${''.padStart(7)}  ${secs(total).padStart(8)}`,
  );
  const failing = results.filter((r) => r.failed).map((r) => r.script);
  if (failing.length) console.log(`failed stages: ${failing.join(', ')}`);
  console.log(`tests: ${passed} passed, ${failed} failed`);
  if (failed > 0) process.exitCode = 1;
}

await main();
