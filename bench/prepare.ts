// What every bench entry point does first: build the package when stale, copy it aside, and build
// the child scripts to plain JS (so no loader hook runs in a measured process).
import { spawnSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { DIST, DIST_OVERRIDE } from './adapters.js';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

const T0 = Date.now();
export function log(message: string): void {
  process.stderr.write(`[bench ${((Date.now() - T0) / 1000).toFixed(1).padStart(6)} s] ${message}\n`);
}

/** The commit measured, and whether lib/ differs from it. */
export function revision(): string {
  const git = (...args: string[]) => spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
  const head = git('rev-parse', '--short', 'HEAD').stdout.trim();
  if (!head) return 'unknown';
  const lib = git('log', '-1', '--format=%h', '--', 'lib').stdout.trim();
  const dirty = git('status', '--porcelain', '--', 'lib').stdout.trim() !== '';
  return `${head}${lib && lib !== head ? ` (lib/ as of ${lib})` : ''}${dirty ? ' with uncommitted changes in lib/' : ''}`;
}

/** Runs `npm run build` when dist/ is missing or older than lib/ (or when `force`). */
export function ensureBuild(force: boolean): void {
  if (DIST_OVERRIDE) return;
  const r = spawnSync(process.execPath, [`${ROOT}scripts/build.mjs`, ...(force ? [] : ['--if-stale'])], {
    cwd: ROOT,
    stdio: ['ignore', 2, 2],
  });
  if (r.status !== 0) throw new Error('npm run build failed');
}

/**
 * Copies the built package aside and points every child at the copy: a rebuild of dist/ while the
 * bench runs (npm test, another terminal) cannot change what is measured halfway through.
 */
export function snapshotBuild(): void {
  if (DIST_OVERRIDE) return;
  const copy = `${ROOT}bench/.out/ws-machine-dist`;
  rmSync(copy, { recursive: true, force: true });
  cpSync(dirname(fileURLToPath(DIST)), copy, { recursive: true });
  process.env.BENCH_WS_MACHINE = `${copy}/index.js`;
}

/** Builds the child scripts to plain JS, so no loader hook runs in a measured process. */
export async function compileChildren(): Promise<void> {
  const outdir = `${ROOT}bench/.out/js`;
  await build({
    entryPoints: (['server', 'client', 'fleet', 'flow'] as const).map((n) => `${ROOT}bench/${n}.ts`),
    outdir,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
  });
  process.env.BENCH_JS_DIR = outdir;
  process.env.BENCH_ROOT = ROOT;
}
