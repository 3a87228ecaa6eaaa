// The benchmark: ws-machine against raw ws and the libraries users would pick instead.
//
//   npm run bench          full run, writes bench/RESULTS.md (about 15 minutes)
//   npm run bench:quick    smaller counts, fewer repetitions, stdout and bench/.out/quick.md only
//
// Options: --only=stream64,stream16k,send,echo,memory,reconnect,scale,flow   --libs=ws-machine,rxjs
//          --reps=N   --build (force `npm run build`)   --prof=<lib> (node --cpu-prof for that library's
//          client process, profiles in bench/.out/prof)   --heap-prof=<lib>   --out=<file>
//
// Processes: one ws server child, one long-lived client child per library (throughput, echo,
// reconnect), and a fresh child per library and repetition for memory, scale and flow control.
// Everything listens and connects on 127.0.0.1 only; every child is killed when this process exits.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { DIST, DIST_OVERRIDE, LIBS, SETTINGS, type Lib } from './adapters.js';
import { spawn, sleep, type Child } from './ipc.js';
import { median, summarize, type Summary } from './stats.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SCENARIOS = ['stream64', 'stream16k', 'send', 'echo', 'memory', 'reconnect', 'scale', 'flow'] as const;
type Scenario = (typeof SCENARIOS)[number];

const { values: argv } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    libs: { type: 'string' },
    reps: { type: 'string' },
    build: { type: 'boolean', default: false },
    prof: { type: 'string' },
    'heap-prof': { type: 'string' },
    out: { type: 'string' },
  },
});

const quick = argv.quick ?? false;
const cfg = quick
  ? {
      mode: 'quick',
      warmup: 1,
      reps: 1,
      stream64: 50_000,
      stream16k: 4_000,
      send: 50_000,
      echo: 4_000,
      memoryConns: 500,
      memoryReps: 1,
      reconnectCycles: 4,
      reconnectReps: 1,
      scaleConns: 2_000,
      scaleIdleMs: 2_000,
      scaleSettleMs: 1_000,
      scaleReps: 1,
      flowMs: 2_500,
    }
  : {
      mode: 'full',
      warmup: 1,
      reps: 5,
      stream64: 200_000,
      stream16k: 20_000,
      send: 200_000,
      echo: 20_000,
      memoryConns: 2_000,
      memoryReps: 5,
      reconnectCycles: 10,
      reconnectReps: 5,
      scaleConns: 10_000,
      scaleIdleMs: 30_000,
      scaleSettleMs: 10_000,
      scaleReps: 5,
      flowMs: 60_000,
    };
if (argv.reps) {
  const reps = Number(argv.reps);
  cfg.reps = cfg.memoryReps = cfg.reconnectReps = cfg.scaleReps = reps;
}
const only = new Set<Scenario>(argv.only ? (argv.only.split(',') as Scenario[]) : SCENARIOS);
const libs: Lib[] = argv.libs
  ? LIBS.filter((l) => l === 'ws' || argv.libs!.split(',').includes(l))
  : [...LIBS];
const filtered = Boolean(argv.only || argv.libs || argv.reps);
const WINDOW = 1000; // connections opening at once in memory/scale runs (kernel accept queue is 4096)

const T0 = Date.now();
function log(message: string): void {
  process.stderr.write(`[bench ${((Date.now() - T0) / 1000).toFixed(1).padStart(6)} s] ${message}\n`);
}

// --- build: measure the package users get ----------------------------------------------------

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.ts')) {
      newest = Math.max(newest, statSync(`${entry.parentPath}/${entry.name}`).mtimeMs);
    }
  }
  return newest;
}

/** The commit measured, and whether lib/ differs from it. */
function revision(): string {
  const git = (...args: string[]) => spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
  const head = git('rev-parse', '--short', 'HEAD').stdout.trim();
  if (!head) return 'unknown';
  const dirty = git('status', '--porcelain', '--', 'lib').stdout.trim() !== '';
  return `${head}${dirty ? ' with uncommitted changes in lib/' : ''}`;
}

/**
 * Copies the built package aside and points every child at the copy: a rebuild of dist/ while the
 * bench runs (npm test, another terminal) cannot change what is measured halfway through.
 */
function snapshotBuild(): void {
  if (DIST_OVERRIDE || !libs.includes('ws-machine')) return;
  const copy = `${ROOT}bench/.out/ws-machine-dist`;
  rmSync(copy, { recursive: true, force: true });
  cpSync(dirname(fileURLToPath(DIST)), copy, { recursive: true });
  process.env.BENCH_WS_MACHINE = `${copy}/index.js`;
}

function ensureBuild(): void {
  if (!libs.includes('ws-machine') || DIST_OVERRIDE) return;
  const dist = fileURLToPath(DIST);
  const stale = !existsSync(dist) || statSync(dist).mtimeMs < newestSource(`${ROOT}lib`);
  if (!stale && !argv.build) return;
  log('building the package (npm run build)');
  const r = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 2, 2] });
  if (r.status !== 0) throw new Error('npm run build failed');
}

/** Builds the child scripts to plain JS, so no loader hook runs in a measured process. */
async function compileChildren(): Promise<void> {
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

// --- results --------------------------------------------------------------------------------

interface Metric {
  key: string;
  title: string;
  unit: string;
  better: 'higher' | 'lower';
  fmt(v: number): string;
  /** Ratio to raw ws that ws-machine must reach; `absolute` compares the value itself. */
  target?: { op: '>=' | '<=' | '<'; value: number; absolute?: boolean };
  values: Map<Lib, number[]>;
  errors: Map<Lib, string>;
  libs: Lib[];
}

const metrics: Metric[] = [];

function metric(m: Omit<Metric, 'values' | 'errors'>): Metric {
  const full = { ...m, values: new Map(), errors: new Map() };
  metrics.push(full);
  return full;
}

function record(m: Metric, lib: Lib, v: number): void {
  if (!m.values.has(lib)) m.values.set(lib, []);
  m.values.get(lib)!.push(v);
}

const k = (v: number) => `${(v / 1000).toFixed(v >= 100_000 ? 0 : 1)}k`;
const fixed = (digits: number) => (v: number) => v.toFixed(digits);

// --- children -------------------------------------------------------------------------------

function profArgs(lib: Lib, name: string): string[] {
  const dir = `${ROOT}bench/.out/prof`;
  const a: string[] = [];
  if (argv.prof === lib) a.push('--cpu-prof', '--cpu-prof-dir', `${dir}/${name}-${lib}`);
  if (argv['heap-prof'] === lib) a.push('--heap-prof', '--heap-prof-interval', '4096', '--heap-prof-dir', `${dir}/${name}-${lib}`);
  if (a.length) mkdirSync(`${dir}/${name}-${lib}`, { recursive: true });
  return a;
}

let server: Child;
let base = '';
const workers = new Map<Lib, Child>();

async function startWorkers(): Promise<void> {
  for (const lib of libs) workers.set(lib, spawn('client', [lib], `client:${lib}`, profArgs(lib, 'client')));
}

async function serverQuiet(timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const { connections } = await server.call<{ connections: number }>('stats');
    if (connections === 0) return;
    await sleep(100);
  }
  log('server still has connections; destroying them');
  await server.call('destroyAll');
}

/** Libraries in a different order every repetition, so none always goes first. */
function rotate<T>(list: readonly T[], by: number): T[] {
  const n = ((by % list.length) + list.length) % list.length;
  return [...list.slice(n), ...list.slice(0, n)];
}

async function rounds(
  title: string,
  group: Lib[],
  warmup: number,
  reps: number,
  ms: Metric[],
  fn: (lib: Lib, rep: number) => Promise<void>,
): Promise<void> {
  for (let r = -warmup; r < reps; r++) {
    log(`${title}: ${r < 0 ? 'warm-up' : `repetition ${r + 1}/${reps}`}`);
    for (const lib of rotate(group, r)) {
      if (ms.some((m) => m.errors.has(lib))) continue;
      try {
        await fn(lib, r);
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        log(`  ${lib}: ${message}`);
        for (const m of ms) m.errors.set(lib, message);
        await workers.get(lib)?.call('close').catch(() => undefined);
        await serverQuiet();
      }
    }
  }
}

// --- scenarios ------------------------------------------------------------------------------

async function stream(key: 'stream64' | 'stream16k', count: number, size: number): Promise<void> {
  const m = metric({
    key,
    title: `server→client stream, ${count.toLocaleString('en')} × ${size >= 1024 ? `${size / 1024} KiB` : `${size} B`}`,
    unit: size >= 1024 ? 'MiB/s' : 'msg/s',
    better: 'higher',
    fmt: size >= 1024 ? fixed(0) : k,
    target: { op: '>=', value: 0.95 },
    libs,
  });
  await rounds(m.title, libs, cfg.warmup, cfg.reps, [m], async (lib, r) => {
    const w = workers.get(lib)!;
    const id = `${key}-${lib}-${r}`;
    await w.call('open', { url: `${base}/stream?id=${id}` });
    const got = w.call<{ tEnd: number; messages: number; bytes: number }>('awaitMessages', { count }, 120_000);
    const { t0 } = await server.call<{ t0: number }>('stream', { id, count, size }, 120_000);
    const res = await got;
    await w.call('close');
    if (res.bytes !== count * size) throw new Error(`got ${res.bytes} bytes in ${res.messages} messages, expected ${count * size}`);
    const seconds = (res.tEnd - t0) / 1000;
    if (r >= 0) record(m, lib, size >= 1024 ? res.bytes / 2 ** 20 / seconds : count / seconds);
  });
}

async function send(count: number, size: number): Promise<void> {
  const m = metric({
    key: 'send',
    title: `client→server send, ${count.toLocaleString('en')} × ${size} B`,
    unit: 'msg/s',
    better: 'higher',
    fmt: k,
    target: { op: '>=', value: 0.95 },
    libs,
  });
  await rounds(m.title, libs, cfg.warmup, cfg.reps, [m], async (lib, r) => {
    const w = workers.get(lib)!;
    const id = `send-${lib}-${r}`;
    await w.call('open', { url: `${base}/sink?id=${id}` });
    await server.call('expect', { id, count });
    const { tStart } = await w.call<{ tStart: number }>('send', { count, size }, 120_000);
    const res = await server.call<{ tEnd: number; bytes: number }>('reached', { id }, 120_000);
    await w.call('close');
    if (res.bytes !== count * size) throw new Error(`server got ${res.bytes} bytes, expected ${count * size}`);
    if (r >= 0) record(m, lib, count / ((res.tEnd - tStart) / 1000));
  });
}

async function echo(count: number, size: number): Promise<void> {
  const common = { unit: 'µs', better: 'lower' as const, fmt: fixed(1), target: { op: '<=' as const, value: 1.05 }, libs };
  const title = `echo round trip, ${count.toLocaleString('en')} sequential × ${size} B`;
  const p50 = metric({ key: 'echo-p50', title: `${title}: p50`, ...common });
  const p99 = metric({ key: 'echo-p99', title: `${title}: p99`, ...common });
  await rounds(title, libs, cfg.warmup, cfg.reps, [p50, p99], async (lib, r) => {
    const w = workers.get(lib)!;
    await w.call('open', { url: `${base}/echo?id=echo-${lib}-${r}` });
    const res = await w.call<{ p50: number; p99: number; bad: number }>('echo', { count, size }, 120_000);
    await w.call('close');
    if (res.bad) throw new Error(`${res.bad} echoes had the wrong size`);
    if (r >= 0) {
      record(p50, lib, res.p50 * 1000);
      record(p99, lib, res.p99 * 1000);
    }
  });
}

async function reconnect(cycles: number): Promise<void> {
  const m = metric({
    key: 'reconnect',
    title: `server-side close (1012) → open again (median of ${cycles} per repetition)`,
    unit: 'ms',
    better: 'lower',
    fmt: fixed(2),
    target: { op: '<=', value: 1.5 },
    libs,
  });
  await rounds(m.title, libs, quick ? 0 : cfg.warmup, cfg.reconnectReps, [m], async (lib, r) => {
    const w = workers.get(lib)!;
    const id = `reconnect-${lib}-${r}`;
    await w.call('open', { url: `${base}/idle?id=${id}` });
    const samples: number[] = [];
    for (let c = 0; c < cycles; c++) {
      await sleep(150); // longer than the 50 ms minUptime every library is given
      const { count } = await w.call<{ count: number }>('opens');
      const { t0 } = await server.call<{ t0: number }>('close', { id, code: 1012 });
      const { t } = await w.call<{ t: number }>('waitOpen', { count: count + 1 }, 15_000);
      samples.push(t - t0);
    }
    await w.call('close');
    if (r >= 0) record(m, lib, median(samples));
  });
}

interface FleetResult {
  connectMs: number;
  /** Per connection, from half the connections to all of them. */
  marginal: { rss: number; heap: number };
  /** Per connection, from none to all of them. */
  total: { rss: number; heap: number };
  cpu?: { percent: number; gcPercent: number; ms: number };
  reopened: number;
}

// V8's young generation fixed at its default maximum (16 MiB): left to itself it resizes with the
// allocation rate in steps of megabytes, which showed up as ±10 KiB per connection at 2,000.
const FIXED_YOUNG_GENERATION = ['--min-semi-space-size=16', '--max-semi-space-size=16'];

async function fleet(
  lib: Lib,
  n: number,
  idleMs: number,
  name: string,
  settleMs = quick ? 500 : 1000,
  v8Flags: string[] = [],
): Promise<FleetResult> {
  const f = spawn('fleet', [], `${name}:${lib}`, ['--expose-gc', ...v8Flags, ...profArgs(lib, name)]);
  try {
    return await f.call<FleetResult>(
      'run',
      { lib, url: `${base}/idle`, n, window: WINDOW, settleMs, idleMs },
      120_000 + idleMs + settleMs,
    );
  } finally {
    await f.stop(2000);
    await serverQuiet();
  }
}

async function memory(n: number): Promise<void> {
  const common = { unit: 'KiB/conn', better: 'lower' as const, fmt: fixed(1), libs };
  const title = `idle memory per connection (growth from ${(n / 2).toLocaleString('en')} to ${n.toLocaleString('en')} connections), fresh process per library`;
  const rss = metric({ key: 'rss', title: `${title}: RSS`, ...common, target: { op: '<=', value: 1.15 } });
  const heap = metric({ key: 'heap', title: `${title}: heap`, ...common, target: { op: '<=', value: 1.5 } });
  await rounds(title, libs, quick ? 0 : 1, cfg.memoryReps, [rss, heap], async (lib, r) => {
    const res = await fleet(lib, n, 0, 'memory', undefined, FIXED_YOUNG_GENERATION);
    if (r >= 0) {
      record(rss, lib, res.marginal.rss / 1024);
      record(heap, lib, res.marginal.heap / 1024);
    }
  });
}

async function scale(n: number, idleMs: number): Promise<void> {
  const group = libs.filter((l) => l === 'ws-machine' || l === 'ws');
  const title = `${n.toLocaleString('en')} connections in one process`;
  const connect = metric({
    key: 'scale-connect',
    title: `${title}: time to connect all (two batches of ${(n / 2).toLocaleString('en')}, ${WINDOW} opening at once)`,
    unit: 'ms',
    better: 'lower',
    fmt: fixed(0),
    target: { op: '<=', value: 1.5 },
    libs: group,
  });
  const rss = metric({
    key: 'scale-rss',
    title: `${title}: RSS per connection (growth from none to ${n.toLocaleString('en')}, V8 defaults)`,
    unit: 'KiB/conn',
    better: 'lower',
    fmt: fixed(1),
    libs: group,
  });
  const cpu = metric({
    key: 'scale-cpu',
    title: `${title}: idle CPU over ${idleMs / 1000} s from ${cfg.scaleSettleMs / 1000} s after the last open, keep-alive on (ws-machine defaults: ping after 30 s of silence; raw ws has none)`,
    unit: '% of one core',
    better: 'lower',
    fmt: fixed(2),
    target: { op: '<', value: 2, absolute: true },
    libs: group,
  });
  const gc = metric({
    key: 'scale-gc',
    title: `${title}: of which GC pauses on the main thread (incremental and concurrent marking not included)`,
    unit: '% of one core',
    better: 'lower',
    fmt: fixed(2),
    libs: group,
  });
  await rounds(title, group, quick ? 0 : 1, cfg.scaleReps, [connect, rss, cpu, gc], async (lib, r) => {
    // The idle window starts after a settling time, past V8's post-growth memory-reducer GCs.
    const res = await fleet(lib, n, r >= 0 ? idleMs : 0, 'scale', r >= 0 ? cfg.scaleSettleMs : 1000);
    if (res.reopened) log(`  ${lib}: ${res.reopened} connections reopened while idle`);
    if (r >= 0) {
      record(connect, lib, res.connectMs);
      record(rss, lib, res.total.rss / 1024);
      record(cpu, lib, res.cpu!.percent);
      record(gc, lib, res.cpu!.gcPercent);
    }
  });
}

interface FlowResult {
  samples: Array<{ t: number; rss: number; heap: number; heapTotal: number; sent: number; dropped: number }>;
  sent: number;
  dropped: number;
  capped: boolean;
  supported: boolean;
}

const flowResults = new Map<string, FlowResult | string>();

async function flow(durationMs: number): Promise<void> {
  for (const lib of libs.filter((l): l is 'ws-machine' | 'ws' => l === 'ws-machine' || l === 'ws')) {
    log(`flow control: ${lib}`);
    const f = spawn('flow', [], `flow:${lib}`, profArgs(lib, 'flow'));
    try {
      const res = await f.call<FlowResult>(
        'run',
        {
          lib,
          url: `${base}/slow?id=flow-${lib}`,
          durationMs,
          sampleMs: quick ? 250 : 2000,
          size: 1024,
          highWaterMark: 1 << 20,
          rssCap: 1 << 30,
        },
        durationMs + 60_000,
      );
      flowResults.set(lib, res);
    } catch (e) {
      flowResults.set(lib, e instanceof Error ? e.message : String(e));
    } finally {
      await f.stop(2000);
      // The slow reader would take minutes to reach the end of what is buffered.
      await server.call('destroy', { id: `flow-${lib}` });
      await serverQuiet();
    }
  }
}

// --- report ---------------------------------------------------------------------------------

function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    if (line) return line.split(':')[1]!.trim();
  } catch {
    // not Linux
  }
  return os.cpus()[0]?.model ?? 'unknown';
}

function cell(s: Summary, fmt: (v: number) => string): string {
  return s.n > 1 ? `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})` : fmt(s.median);
}

function meets(m: Metric, ratio: number, value: number): boolean | undefined {
  if (!m.target) return undefined;
  const x = m.target.absolute ? value : ratio;
  const op = m.target.op;
  return op === '>=' ? x >= m.target.value : op === '<' ? x < m.target.value : x <= m.target.value;
}

function targetText(m: Metric): string {
  if (!m.target) return '—';
  return m.target.absolute ? `${m.target.op} ${m.target.value} ${m.unit}` : `ratio ${m.target.op} ${m.target.value}`;
}

function medianOf(m: Metric, lib: Lib): number | undefined {
  const v = m.values.get(lib);
  return v && v.length ? median(v) : undefined;
}

function summaryTable(): string[] {
  const out = [
    '| scenario | ws-machine | raw ws | ratio | target | met? | best peer (ratio) | beats every peer? |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const m of metrics) {
    const mine = medianOf(m, 'ws-machine');
    const raw = medianOf(m, 'ws');
    if (mine === undefined || raw === undefined) {
      const why = m.errors.get('ws-machine') ?? m.errors.get('ws') ?? 'no data';
      out.push(`| ${m.title} | error | | | ${targetText(m)} | **missed** (${why.replace(/\|/g, '/')}) | | |`);
      continue;
    }
    const ratio = raw > 0 ? mine / raw : NaN;
    const ok = meets(m, ratio, mine);
    const peers = m.libs
      .filter((l) => l !== 'ws' && l !== 'ws-machine')
      .flatMap((l) => {
        const v = medianOf(m, l);
        return v === undefined ? [] : [{ l, v }];
      });
    let best = '—';
    let beats = '—';
    if (peers.length) {
      const top = peers.reduce((a, b) => ((m.better === 'higher' ? b.v > a.v : b.v < a.v) ? b : a));
      best = `${top.l} (${(top.v / raw).toFixed(2)})`;
      beats = (m.better === 'higher' ? mine > top.v : mine < top.v) ? 'yes' : '**no**';
    }
    out.push(
      `| ${m.title} | ${m.fmt(mine)} ${m.unit} | ${m.fmt(raw)} ${m.unit} | ${Number.isNaN(ratio) ? '—' : ratio.toFixed(3)} | ${targetText(m)} | ${
        ok === undefined ? '—' : ok ? 'met' : '**missed**'
      } | ${best} | ${beats} |`,
    );
  }
  return out;
}

function detailTables(): string[] {
  const out: string[] = [];
  for (const m of metrics) {
    out.push('', `### ${m.title}`, '', `| library | ${m.unit}: median (min–max) | ratio to raw ws | n |`, '|---|---|---|---|');
    const raw = medianOf(m, 'ws');
    for (const lib of m.libs) {
      const err = m.errors.get(lib);
      const v = m.values.get(lib);
      if (err && !v?.length) {
        out.push(`| ${lib} | error: ${err.replace(/\|/g, '/')} | | |`);
        continue;
      }
      if (!v?.length) continue;
      const s = summarize(v);
      const ratio = raw ? (s.median / raw).toFixed(2) : '—';
      out.push(`| ${lib} | ${cell(s, m.fmt)} | ${ratio} | ${s.n} |`);
    }
  }
  return out;
}

function flowTable(): string[] {
  if (!flowResults.size) return [];
  const mb = (b: number) => (b / 2 ** 20).toFixed(0);
  const out = [
    '',
    `### Flow control: slow-reading server (one socket chunk per 100 ms), producer pushing 1 KiB messages as fast as it can for ${cfg.flowMs / 1000} s`,
    '',
    'ws-machine: `highWaterMark: 1 MiB`, `maxQueue` default (1000), `overflow` default (drop-oldest). Raw ws, for contrast, has no bound (stopped at 1 GiB RSS).',
    'Bounded: JS heap in use never above 64 MiB, and RSS never more than 64 MiB above its value at 10% of the run (V8 sizes its young generation to the allocation rate once, then RSS stays put).',
    '',
    '| library | RSS MiB at 10% / 50% / end | max RSS MiB | heap used MiB at 10% / 50% / end (max) | heap total MiB at end | messages pushed | dropped$ | bounded? |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const [lib, res] of flowResults) {
    if (typeof res === 'string') {
      out.push(`| ${lib} | error: ${res} | | | | | | |`);
      continue;
    }
    const s = res.samples;
    const at = (f: number) => s[Math.min(s.length - 1, Math.floor(f * (s.length - 1)))]!;
    const maxRss = Math.max(...s.map((x) => x.rss));
    const maxHeap = Math.max(...s.map((x) => x.heap));
    const bounded = !res.capped && maxHeap <= 64 * 2 ** 20 && maxRss <= at(0.1).rss + 64 * 2 ** 20;
    out.push(
      `| ${lib}${res.supported ? '' : ' (highWaterMark rejected: run without it)'} | ${mb(at(0.1).rss)} / ${mb(at(0.5).rss)} / ${mb(at(1).rss)} | ${mb(
        maxRss,
      )} | ${mb(at(0.1).heap)} / ${mb(at(0.5).heap)} / ${mb(at(1).heap)} (${mb(maxHeap)}) | ${mb(at(1).heapTotal)} | ${res.sent.toLocaleString(
        'en',
      )} | ${res.dropped.toLocaleString('en')} | ${bounded ? 'yes' : `**no**${res.capped ? ' (hit the 1 GiB cap)' : ''}`} |`,
    );
  }
  out.push('', 'Samples (MiB), one per sampling interval:', '');
  for (const [lib, res] of flowResults) {
    if (typeof res === 'string') continue;
    out.push(`- ${lib} RSS: ${res.samples.map((x) => mb(x.rss)).join(' ')}`);
    out.push(`- ${lib} heap used: ${res.samples.map((x) => mb(x.heap)).join(' ')}`);
  }
  return out;
}

const loadAtStart = os.loadavg()[0]!;

function report(started: Date, seconds: number, measured: string): string {
  const lines = [
    `# ws-machine benchmark results${quick ? ' (QUICK MODE: smaller counts, fewer repetitions; not the reference numbers)' : ''}`,
    '',
    `- Date: ${started.toISOString()}`,
    `- ws-machine: commit ${measured}${DIST_OVERRIDE ? ` (build from BENCH_WS_MACHINE=${DIST_OVERRIDE})` : ' (dist/esm, copied aside at the start)'}`,
    `- Node.js: ${process.version} (${process.platform} ${process.arch})`,
    `- Machine: ${os.availableParallelism()} × ${cpuModel()}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM`,
    `- Mode: ${cfg.mode}; ${cfg.warmup} warm-up round, then ${cfg.reps} repetitions (memory ${cfg.memoryReps}, reconnect ${cfg.reconnectReps}, 10k scale ${cfg.scaleReps}); libraries alternate within every repetition, starting with a different one each time; ${seconds.toFixed(0)} s in all`,
    `- Load average (1 min) at start / end: ${loadAtStart.toFixed(2)} / ${os.loadavg()[0]!.toFixed(2)} (anything else running shares the cores and adds noise)`,
    '- Cells: median over repetitions (min–max); ratios are medians divided by raw ws from the same run.',
    '- Server: `ws` in its own process on 127.0.0.1 (streams are pre-framed and written straight to the socket, sends are counted from frame headers, so the client is what is measured).',
    '',
    '## ws-machine against the targets',
    '',
    ...summaryTable(),
    '',
    '## All libraries',
    ...detailTables(),
    ...flowTable(),
    '',
    '## Settings',
    '',
    ...libs.map((l) => `- **${l}**: ${SETTINGS[l]}`),
    '- Reconnect delay: the smallest each library accepts (0); minUptime 50 ms where there is one; 150 ms between closes.',
    `- Memory and scale runs: a fresh process per library and repetition (\`--expose-gc\`, collected 4 times before each reading); memory per connection (2,000 scenario) is the growth from half the connections to all of them, one-off costs excluded, with V8's young generation fixed at 16 MiB so its resizing does not count; in the scale scenario V8 runs with its defaults and RSS per connection is the growth from none to all; ${WINDOW} connections opening at once at most, so the kernel's accept queue never overflows.`,
    '',
  ];
  return lines.join('\n');
}

// --- main -----------------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = new Date();
  ensureBuild();
  snapshotBuild();
  const measured = revision();
  await compileChildren();
  server = spawn('server', [], 'server');
  const { port } = await server.call<{ port: number }>('port', {}, 30_000);
  base = `ws://127.0.0.1:${port}`;
  log(`server on ${base}; mode ${cfg.mode}; libraries: ${libs.join(', ')}`);
  await startWorkers();

  if (only.has('stream64')) await stream('stream64', cfg.stream64, 64);
  if (only.has('stream16k')) await stream('stream16k', cfg.stream16k, 16 * 1024);
  if (only.has('send')) await send(cfg.send, 64);
  if (only.has('echo')) await echo(cfg.echo, 64);
  if (only.has('reconnect')) await reconnect(cfg.reconnectCycles);
  await Promise.all([...workers.values()].map((w) => w.stop()));
  if (only.has('memory')) await memory(cfg.memoryConns);
  if (only.has('scale')) await scale(cfg.scaleConns, cfg.scaleIdleMs);
  if (only.has('flow')) await flow(cfg.flowMs);

  const text = report(started, (Date.now() - started.getTime()) / 1000, measured);
  process.stdout.write(`${text}\n`);
  const target = argv.out ?? (quick || filtered ? `${ROOT}bench/.out/${cfg.mode}.md` : `${ROOT}bench/RESULTS.md`);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, text);
  log(`wrote ${target}`);
  await server.stop(2000);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    log(`failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exit(1);
  },
);

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));
