// The benchmark: ws-machine against raw ws and the libraries users would pick instead.
//
//   npm run bench          full run: writes bench/RESULTS.md, bench/charts/*.svg and the README's
//                          performance block (between <!-- bench:start --> and <!-- bench:end -->)
//   npm run bench:quick    smaller counts, fewer repetitions: stdout, bench/.out/quick.md,
//                          bench/.out/charts/ and bench/.out/readme-block.md only
//
// Options: --only=<scenarios> (see SCENARIOS)   --libs=ws-machine,rxjs   --reps=N   --build (force
//          `npm run build`)   --prof=<lib> (node --cpu-prof for that library's client process,
//          profiles in bench/.out/prof)   --heap-prof=<lib>   --trace-gc=<lib> (V8's --trace-gc for
//          that library's client processes, to stdout)   --out=<file>
//          --no-pin (do not pin the server and the clients to separate cores)   --no-gc (no full GC
//          in the client before each stream run)   --no-bracket (raw ws once per repetition, not
//          between every two libraries)   --no-warm-connection (no untimed burst before a stream)
//          --malloc-defaults (glibc trims the throughput clients' heap as it does by default)
//          --stream16k-count=N   --stream16k-reps=N   --json=<file> (every value, stream run and
//          memory reading, raw)
//          --memory-window=N (connections opening at once in the memory rows; 1000 by default)
//
// Processes: one ws server child, one long-lived client child per library (throughput, echo,
// reconnect), and a fresh child per library and repetition for memory, scale and flow control.
// Everything listens and connects on 127.0.0.1 only; every child is killed when this process exits.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { DIST_OVERRIDE, KEEPALIVE_BASELINE, LIBS, SETTINGS, type Lib } from './adapters.js';
import { census, censusReport, type Census } from './census.js';
import type { Reading } from './fleet.js';
import { svgChart, svgOverview, type Bar } from './charts.js';
import { spawn, sleep, type Child, type IdleCpu } from './ipc.js';
import { compileChildren, ensureBuild, log, revision, ROOT, snapshotBuild } from './prepare.js';
import { median, summarize, type Summary } from './stats.js';

const SCENARIOS = [
  'stream64',
  'stream16k',
  'send',
  'echo',
  'reconnect',
  'reconnect-wait',
  'reconnect-command',
  'memory',
  'scale',
  'census',
  'flow',
] as const;
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
    'trace-gc': { type: 'string' },
    out: { type: 'string' },
    'no-pin': { type: 'boolean', default: false },
    'stream16k-count': { type: 'string' },
    'stream16k-reps': { type: 'string' },
    json: { type: 'string' },
    'no-gc': { type: 'boolean', default: false },
    'no-bracket': { type: 'boolean', default: false },
    'no-warm-connection': { type: 'boolean', default: false },
    'malloc-defaults': { type: 'boolean', default: false },
    'memory-window': { type: 'string' },
  },
});

const quick = argv.quick;
const cfg = quick
  ? {
      mode: 'quick',
      warmup: 1,
      reps: 1,
      stream64: 50_000,
      stream16k: 4_000,
      stream16kReps: 1,
      send: 50_000,
      echo: 4_000,
      memoryConns: 500,
      memoryReps: 1,
      reconnectCycles: 4,
      reconnectReps: 1,
      scaleConns: 2_000,
      scaleIdleMs: 3_000,
      scaleSettleMs: 1_000,
      scaleReps: 1,
      // Short enough that every connection pings in the short idle windows; a deadline that a
      // loaded machine still meets.
      keepAlive: { pingInterval: 1_000, pongTimeout: 3_000 },
      censusConns: 200,
      flowMs: 2_500,
    }
  : {
      mode: 'full',
      warmup: 1,
      // The 64 B stream, send and echo rows: a run takes a second at most, and one repetition's
      // ratio lands anywhere in ±25 %; medians of 5 read 0.73 to 0.99 at 64 B from one full run to
      // the next (see RESULTS.md).
      reps: 15,
      // A run of about a third of a second (200,000 took 80 ms).
      stream64: 1_000_000,
      // 1.5 GiB: a run of about half a second, long next to a scheduler tick or a GC pause (a run
      // of 20,000 took 100 ms), in 9 repetitions: each costs seconds (see RESULTS.md).
      stream16k: 100_000,
      stream16kReps: 9,
      send: 200_000,
      echo: 20_000,
      memoryConns: 2_000,
      // RSS moves from one process to the next by a standard deviation of 0.5 to 0.9 KiB a
      // connection (V8's committed pages, 256 KiB each, and memory outside V8's heap alike); the
      // libraries nearest each other differ by less, so 5 repetitions did not rank them.
      memoryReps: 15,
      reconnectCycles: 10,
      reconnectReps: 5,
      scaleConns: 10_000,
      scaleIdleMs: 30_000,
      scaleSettleMs: 10_000,
      scaleReps: 5,
      // ws-machine's defaults.
      keepAlive: { pingInterval: 30_000, pongTimeout: 10_000 },
      censusConns: 300,
      flowMs: 60_000,
    };
if (argv.reps) {
  const reps = Number(argv.reps);
  cfg.reps = cfg.memoryReps = cfg.reconnectReps = cfg.scaleReps = reps;
}
const only = new Set<Scenario>(argv.only ? (argv.only.split(',') as Scenario[]) : SCENARIOS);
for (const name of only) {
  if (!SCENARIOS.includes(name)) throw new Error(`--only: unknown scenario ${name} (known: ${SCENARIOS.join(', ')})`);
}
const libs: Lib[] = argv.libs ? LIBS.filter((l) => l === 'ws' || argv.libs!.split(',').includes(l)) : [...LIBS];
/** Throughput rows run raw ws between every two libraries (see bracketedRounds). */
const bracket = !argv['no-bracket'];
/** Stream rows send a tenth of the messages through each connection before the timed run. */
const warmConnection = !argv['no-warm-connection'];
const stream16kCount = argv['stream16k-count'] ? Number(argv['stream16k-count']) : cfg.stream16k;
const stream16kReps = argv['stream16k-reps'] ? Number(argv['stream16k-reps']) : argv.reps ? cfg.reps : cfg.stream16kReps;
// Truthiness on purpose: an empty string option filters nothing.
const filtered = [
  argv.only,
  argv.libs,
  argv.reps,
  argv['stream16k-count'],
  argv['stream16k-reps'],
  argv['no-pin'],
  argv['no-gc'],
  argv['no-bracket'],
  argv['no-warm-connection'],
  argv['malloc-defaults'],
  argv['memory-window'],
].some(Boolean);
const WINDOW = 1000; // connections opening at once in memory/scale runs (kernel accept queue is 4096)
/**
 * The wait between the scale scenario's memory reading and its idle window. The reading collects
 * four times, and V8's memory reducer answers a full collection with mark-compacts of its own: the
 * first about 8 s later (kLongDelayMs), up to two more 0.5 s apart (kShortDelayMs). Those are the
 * harness's doing, so the window opens after them; 12 s leaves a margin for a busy core.
 */
const REDUCER_SETTLE_MS = 12_000;
/**
 * The scale scenario's measured idle window, the third, in ping intervals (the first two are one
 * each). One 30 s window of a steady fleet read from 1.7 % to 2.3 % of a core for the hand-written
 * keep-alive, from one cycle to the next in one process, so the measured one spans two cycles.
 */
const STEADY_CYCLES = 2;
// The memory rows depend on when V8's young-generation collections fall within a burst of opens
// (bench/RESULTS.md, "The memory rows"); a smaller window shows how much.
const memoryWindow = argv['memory-window'] ? Number(argv['memory-window']) : WINDOW;
if (!(memoryWindow >= 1 && Number.isInteger(memoryWindow)))
  throw new Error(`--memory-window: a whole number from 1, got ${argv['memory-window']}`);

// --- results --------------------------------------------------------------------------------

interface Metric {
  key: string;
  title: string;
  unit: string;
  better: 'higher' | 'lower';
  fmt: (v: number) => string;
  /** Ratio to the baseline that ws-machine must reach; `absolute` compares the value itself. */
  target?: { op: '>=' | '<=' | '<'; value: number; absolute?: boolean };
  /** What ratios divide by: raw ws unless said otherwise. */
  baseline?: Lib;
  /** Short label for the README table and the chart; headline rows get a chart. */
  headline?: string;
  /** Value by repetition, per library (ratios pair values of the same repetition). */
  values: Map<Lib, Map<number, number>>;
  /** Ratio by repetition when the baseline ran right before and after each library (bracketed). */
  paired?: Map<Lib, Map<number, number>>;
  errors: Map<Lib, string>;
  libs: Lib[];
}

const metrics: Metric[] = [];

function metric(m: Omit<Metric, 'values' | 'errors'>): Metric {
  const full = { ...m, values: new Map(), errors: new Map() };
  metrics.push(full);
  return full;
}

function record(m: Metric, lib: Lib, rep: number, v: number): void {
  if (!m.values.has(lib)) m.values.set(lib, new Map());
  m.values.get(lib)!.set(rep, v);
}

const baselineOf = (m: Metric): Lib => m.baseline ?? 'ws';

function valuesOf(m: Metric, lib: Lib): number[] {
  return [...(m.values.get(lib)?.values() ?? [])];
}

/**
 * Ratios to the baseline, one per repetition: each value over the baseline's value from the same
 * repetition (measured minutes apart at most, so a slow phase of the machine weighs on both).
 */
function ratiosOf(m: Metric, lib: Lib): number[] {
  if (m.paired && lib !== baselineOf(m)) return [...(m.paired.get(lib)?.values() ?? [])];
  const mine = m.values.get(lib);
  const base = m.values.get(baselineOf(m));
  if (!mine || !base) return [];
  return [...mine].flatMap(([rep, v]) => {
    const b = base.get(rep);
    return b === undefined || b <= 0 ? [] : [v / b];
  });
}

function ratioSummary(m: Metric, lib: Lib): Summary | undefined {
  const r = ratiosOf(m, lib);
  return r.length ? summarize(r) : undefined;
}

const k = (v: number) => `${(v / 1000).toFixed(v >= 100_000 ? 0 : 1)}k`;
const fixed = (digits: number) => (v: number) => v.toFixed(digits);

// --- children -------------------------------------------------------------------------------

function profArgs(lib: Lib, name: string): string[] {
  const dir = `${ROOT}bench/.out/prof`;
  const a: string[] = [];
  if (argv.prof === lib) a.push('--cpu-prof', '--cpu-prof-dir', `${dir}/${name}-${lib}`);
  if (argv['heap-prof'] === lib) a.push('--heap-prof', '--heap-prof-interval', '4096', '--heap-prof-dir', `${dir}/${name}-${lib}`);
  // V8's one line per collection (time, kind, heap before → after), on this process's stdout.
  if (argv['trace-gc'] === lib) a.push('--trace-gc');
  if (a.length) mkdirSync(`${dir}/${name}-${lib}`, { recursive: true });
  return a;
}

// The server on one core and every measured client on the other: with both left to the kernel's
// scheduler, the two busy processes of a stream sometimes share a core (see RESULTS.md).
const canPin = !argv['no-pin'] && os.availableParallelism() >= 2 && spawnSync('taskset', ['-V']).status === 0;
const SERVER_CPU = 0;
const CLIENT_CPU = 1;

/** Pins every thread of a child to one CPU (threads it starts later inherit it). */
function pin(child: Child, cpu: number): Child {
  if (canPin && child.proc.pid) spawnSync('taskset', ['-a', '-cp', String(cpu), String(child.proc.pid)], { stdio: 'ignore' });
  return child;
}

let server: Child;
let base = '';
const workers = new Map<Lib, Child>();

// V8's young generation fixed at its default maximum (16 MiB semi-spaces). Left to itself it grows
// with a process's history: in the memory rows that showed up as ±10 KiB per connection at 2,000;
// in the throughput rows raw ws, which runs twice as often (see bracketedRounds), reached the
// maximum first and then collected half as often per message as the library it was compared with.
const FIXED_YOUNG_GENERATION = ['--min-semi-space-size=16', '--max-semi-space-size=16'];

// glibc's malloc gives the top of its heap back to the kernel once more than 128 KiB of it is
// free (trimming), and takes it back page by page on the next allocations. A 16 KiB stream frees
// and allocates its read buffers by the gigabyte, so a client process whose heap happens to end in
// free space faults tens of thousands of pages a run and spends two to four times the CPU. Which
// process does depends on where its other allocations landed (ws-machine's more often than raw
// ws's in the seventeenth pass's runs, but both). Held off for every throughput client alike
// (glibc reads this at start; other C libraries ignore it).
const NO_MALLOC_TRIM: Readonly<Record<string, string>> | undefined = argv['malloc-defaults']
  ? undefined
  : { MALLOC_TRIM_THRESHOLD_: String(2 ** 30) };

function startWorkers(): void {
  for (const lib of libs) {
    const flags = ['--expose-gc', ...FIXED_YOUNG_GENERATION, ...profArgs(lib, 'client')];
    workers.set(lib, pin(spawn('client', [lib], `client:${lib}`, flags, NO_MALLOC_TRIM), CLIENT_CPU));
  }
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
        await giveUp(lib, ms, e);
      }
    }
  }
}

/** A library whose run failed: its error goes on every metric of the scenario, its worker closes. */
async function giveUp(lib: Lib, ms: Metric[], e: unknown): Promise<void> {
  const message = e instanceof Error ? e.message : String(e);
  log(`  ${lib}: ${message}`);
  for (const m of ms) m.errors.set(lib, message);
  await workers
    .get(lib)
    ?.call('close')
    .catch(() => undefined);
  await serverQuiet();
}

/**
 * Repetitions where the baseline (raw ws) runs before the first library, between every two, and
 * after the last: each library's ratio is its value over the mean of the two baseline runs around
 * it, measured seconds apart, so a slow phase of a shared machine weighs on both sides of the
 * ratio. The baseline's own value per repetition is the median of its runs.
 */
async function bracketedRounds(
  title: string,
  group: Lib[],
  warmup: number,
  reps: number,
  ms: Metric[],
  fn: (lib: Lib, rep: number, slot: number) => Promise<number[]>,
): Promise<void> {
  const baseline = baselineOf(ms[0]!);
  const others = group.filter((l) => l !== baseline);
  for (const m of ms) m.paired = new Map();
  for (let r = -warmup; r < reps; r++) {
    log(`${title}: ${r < 0 ? 'warm-up' : `repetition ${r + 1}/${reps}`} (${baseline} between every two libraries)`);
    let slot = 0;
    const run = async (lib: Lib): Promise<number[] | undefined> => {
      if (ms.some((m) => m.errors.has(lib))) return undefined;
      try {
        return await fn(lib, r, slot++);
      } catch (e) {
        await giveUp(lib, ms, e);
        return undefined;
      }
    };
    const around: number[][] = [];
    let before = await run(baseline);
    if (before) around.push(before);
    for (const lib of rotate(others, r)) {
      const v = await run(lib);
      const after = await run(baseline);
      if (after) around.push(after);
      if (r >= 0 && v && before && after) {
        ms.forEach((m, i) => {
          record(m, lib, r, v[i]!);
          if (!m.paired!.has(lib)) m.paired!.set(lib, new Map());
          m.paired!.get(lib)!.set(r, v[i]! / ((before![i]! + after[i]!) / 2));
        });
      }
      before = after;
    }
    if (r >= 0 && around.length) ms.forEach((m, i) => record(m, baseline, r, median(around.map((a) => a[i]!))));
  }
}

// --- scenarios ------------------------------------------------------------------------------

interface StreamResult {
  tEnd: number;
  messages: number;
  bytes: number;
  cpuMs: number;
  gc: { count: number; ms: number; majors: number; majorMs: number };
  /** Pages the client's process faulted in (minor faults: no disk) during the run. */
  faults: number;
}

/** Every stream run, for --json (the 16 KiB investigation reads them). */
const streamRuns: ({ key: string; lib: Lib; rep: number; ms: number; load: number } & Pick<StreamResult, 'cpuMs' | 'gc' | 'faults'>)[] = [];

async function stream(key: 'stream64' | 'stream16k', count: number, size: number, reps = cfg.reps): Promise<void> {
  const what = size >= 1024 ? `${size / 1024} KiB` : `${size} B`;
  const m = metric({
    key,
    title: `server→client stream, ${count.toLocaleString('en')} × ${what}`,
    unit: size >= 1024 ? 'MiB/s' : 'msg/s',
    better: 'higher',
    fmt: size >= 1024 ? fixed(0) : k,
    target: { op: '>=', value: 0.95 },
    headline: `server→client stream, ${what} messages`,
    libs,
  });
  // The client's CPU time for the same runs: what the library costs, whatever the server and the
  // scheduler did meanwhile (it moves far less than wall time on a busy machine).
  const cpu = metric({
    key: `${key}-cpu`,
    title: `server→client stream, ${count.toLocaleString('en')} × ${what}: client CPU time (user + system) per ${size >= 1024 ? 'GiB' : 'million messages'}`,
    unit: 'ms',
    better: 'lower',
    fmt: fixed(0),
    libs,
  });
  // Bytes through the same connection first (not timed): the kernel has grown the socket buffers
  // (TCP autotuning starts every connection small) and the library's code is warm.
  const warm = Math.ceil(count / 10);
  const once = async (lib: Lib, r: number, slot: number): Promise<number[]> => {
    const w = workers.get(lib)!;
    const id = `${key}-${lib}-${r}-${slot}`;
    // Every library starts from a collected heap: garbage a previous run left would otherwise be
    // collected during this one.
    if (!argv['no-gc']) await w.call('gc');
    await w.call('open', { url: `${base}/stream?id=${id}` });
    const before = warmConnection ? warm : 0;
    if (before) {
      const warmed = w.call<StreamResult>('awaitMessages', { count: before }, 120_000);
      await server.call('stream', { id, count: before, size }, 120_000);
      await warmed;
    }
    const got = w.call<StreamResult>('awaitMessages', { count: before + count }, 120_000);
    const { t0 } = await server.call<{ t0: number }>('stream', { id, count, size }, 120_000);
    const res = await got;
    await w.call('close');
    const expected = (before + count) * size;
    if (res.bytes !== expected) throw new Error(`got ${res.bytes} bytes in ${res.messages} messages, expected ${expected}`);
    const seconds = (res.tEnd - t0) / 1000;
    if (r >= 0) {
      const { cpuMs, gc, faults } = res;
      streamRuns.push({ key, lib, rep: r, ms: seconds * 1000, cpuMs, gc, faults, load: os.loadavg()[0]! });
    }
    const perUnit = size >= 1024 ? (res.cpuMs * 2 ** 30) / (count * size) : (res.cpuMs * 1e6) / count;
    return [size >= 1024 ? (count * size) / 2 ** 20 / seconds : count / seconds, perUnit];
  };
  if (bracket) await bracketedRounds(m.title, libs, cfg.warmup, reps, [m, cpu], once);
  else {
    await rounds(m.title, libs, cfg.warmup, reps, [m, cpu], async (lib, r) => {
      const [v, c] = await once(lib, r, 0);
      if (r >= 0) {
        record(m, lib, r, v!);
        record(cpu, lib, r, c!);
      }
    });
  }
}

async function send(count: number, size: number): Promise<void> {
  const m = metric({
    key: 'send',
    title: `client→server send, ${count.toLocaleString('en')} × ${size} B`,
    unit: 'msg/s',
    better: 'higher',
    fmt: k,
    target: { op: '>=', value: 0.95 },
    headline: `client→server send, ${size} B messages`,
    libs,
  });
  const once = async (lib: Lib, r: number, slot: number): Promise<number> => {
    const w = workers.get(lib)!;
    const id = `send-${lib}-${r}-${slot}`;
    await w.call('gc');
    await w.call('open', { url: `${base}/sink?id=${id}` });
    await server.call('expect', { id, count });
    const { tStart } = await w.call<{ tStart: number }>('send', { count, size }, 120_000);
    const res = await server.call<{ tEnd: number; bytes: number }>('reached', { id }, 120_000);
    await w.call('close');
    if (res.bytes !== count * size) throw new Error(`server got ${res.bytes} bytes, expected ${count * size}`);
    return count / ((res.tEnd - tStart) / 1000);
  };
  if (bracket) await bracketedRounds(m.title, libs, cfg.warmup, cfg.reps, [m], async (lib, r, slot) => [await once(lib, r, slot)]);
  else {
    await rounds(m.title, libs, cfg.warmup, cfg.reps, [m], async (lib, r) => {
      const v = await once(lib, r, 0);
      if (r >= 0) record(m, lib, r, v);
    });
  }
}

async function echo(count: number, size: number): Promise<void> {
  const common = { unit: 'µs', better: 'lower' as const, fmt: fixed(1), target: { op: '<=' as const, value: 1.05 }, libs };
  const title = `echo round trip, ${count.toLocaleString('en')} sequential × ${size} B`;
  const p50 = metric({ key: 'echo-p50', title: `${title}: p50`, headline: 'echo round trip, p50', ...common });
  const p99 = metric({ key: 'echo-p99', title: `${title}: p99`, headline: 'echo round trip, p99', ...common });
  await rounds(title, libs, cfg.warmup, cfg.reps, [p50, p99], async (lib, r) => {
    const w = workers.get(lib)!;
    await w.call('gc');
    await w.call('open', { url: `${base}/echo?id=echo-${lib}-${r}` });
    const res = await w.call<{ p50: number; p99: number; bad: number }>('echo', { count, size }, 120_000);
    await w.call('close');
    if (res.bad) throw new Error(`${res.bad} echoes had the wrong size`);
    if (r >= 0) {
      record(p50, lib, r, res.p50 * 1000);
      record(p99, lib, r, res.p99 * 1000);
    }
  });
}

/**
 * Three ways back to an open connection after the server closes it (code 1012):
 * - `drop`: a connection that was up longer than minUptime, so attempt is 0 and the machine
 *   reconnects at once (CONNECTED → DISCONNECTED → CONNECTING);
 * - `wait`: every drop counts as a failure (minUptime far away), so the machine goes through
 *   WAITING with `retryDelay: 0` (CONNECTED → DISCONNECTED → WAITING(delay 0) → CONNECTING);
 * - `command`: the machine waits out a long delay in WAITING and `Command.RECONNECT` cuts it short;
 *   timed from the command. Raw ws opens a new socket at that moment instead.
 * Raw ws reconnects by hand in its close handler (`drop`, `wait`), the practical limit.
 */
async function reconnect(cycles: number, variant: 'drop' | 'wait' | 'command'): Promise<void> {
  const LONG = 3_600_000;
  const variants = {
    drop: {
      key: 'reconnect',
      title: `server-side close (1012) → open again, connection up longer than minUptime (median of ${cycles} per repetition)`,
      headline: 'reconnect after a server-side close',
      options: (_lib: Lib) => undefined as Record<string, unknown> | undefined,
      group: libs,
    },
    wait: {
      key: 'reconnect-wait',
      title: `server-side close (1012) → open again through WAITING with delay 0 (every drop counts as a failure: minUptime 1 h; median of ${cycles} per repetition)`,
      headline: 'reconnect through WAITING, retryDelay 0',
      options: (lib: Lib) => (lib === 'ws' ? undefined : { minUptime: LONG }),
      group: libs,
    },
    command: {
      key: 'reconnect-command',
      title: `Command.RECONNECT in WAITING (retryDelay 1 h) → open (raw ws: a new socket at that moment; median of ${cycles} per repetition)`,
      headline: 'Command.RECONNECT from WAITING',
      options: (lib: Lib) => (lib === 'ws' ? { manual: true } : { minUptime: LONG, retryDelay: LONG, reconnectable: true }),
      group: libs.filter((l) => l === 'ws-machine' || l === 'ws'),
    },
  }[variant];
  const m = metric({
    key: variants.key,
    title: variants.title,
    unit: 'ms',
    better: 'lower',
    fmt: fixed(2),
    target: { op: '<=', value: 1.2 }, // issue 12: zero delay within 1.2 × raw ws
    headline: variants.headline,
    libs: variants.group,
  });
  // The clients move to the server's core for these rows. A reconnect is a few round trips after
  // 150 ms of idleness, and on a virtual machine a core that has been idle that long can take up
  // to 20 ms to wake (the host has to run its thread again): across two cores, some repetitions
  // measured that for every library alike. On one core the two processes take turns, as a
  // reconnect's steps do anyway. See "The reconnect rows" in RESULTS.md.
  for (const lib of variants.group) pin(workers.get(lib)!, SERVER_CPU);
  try {
    await rounds(m.title, variants.group, cfg.warmup, cfg.reconnectReps, [m], async (lib, r) => {
      const w = workers.get(lib)!;
      const id = `${variants.key}-${lib}-${r}`;
      await w.call('open', { url: `${base}/idle?id=${id}`, options: variants.options(lib) });
      const samples: number[] = [];
      for (let c = 0; c < cycles; c++) {
        await sleep(150); // longer than the 50 ms minUptime every library is given in `drop`
        const { count } = await w.call<{ count: number }>('opens');
        const { t0: closed } = await server.call<{ t0: number }>('close', { id, code: 1012 });
        let t0 = closed;
        if (variant === 'command') {
          await sleep(50); // the close has arrived: the machine is in WAITING, raw ws is closed
          ({ t0 } = await w.call<{ t0: number }>('reconnectNow'));
        }
        const { t } = await w.call<{ t: number }>('waitOpen', { count: count + 1 }, 15_000);
        samples.push(t - t0);
      }
      await w.call('close');
      if (r >= 0) record(m, lib, r, median(samples));
    });
  } finally {
    for (const lib of variants.group) pin(workers.get(lib)!, CLIENT_CPU);
  }
}

/** Every memory row's readings, for --json: what moves RSS from one process to the next. */
const memoryRuns: { lib: Lib; rep: number; mid: Reading; after: Reading }[] = [];

interface FleetResult {
  /** Pings the server received during the run, per connection. */
  pings: number;
  connectMs: number;
  /** Per connection, from half the connections to all of them. */
  marginal: { rss: number; heap: number; objects: number };
  /** Per connection, from none to all of them. */
  total: { rss: number; heap: number };
  /** Memory with none of the connections open, after full collections (as `mid` and `after`). */
  base: Reading;
  /** With half of them open. */
  mid: Reading;
  /** With all of them open. */
  after: Reading;
  /** The idle fleet once its ping path is compiled: the third idle window, `STEADY_CYCLES` ping cycles long. */
  cpu?: IdleCpu;
  /** The first idle window: the process's first pings, V8 compiling the code they run, and collecting after them. */
  firstCpu?: IdleCpu;
  /** The second idle window: V8 still optimising the ping path, and throwing away code a collection cleared the targets of. */
  secondCpu?: IdleCpu;
  reopened: number;
}

async function fleet(
  lib: Lib,
  n: number,
  idleMs: number,
  name: string,
  settleMs = quick ? 500 : 1000,
  v8Flags: string[] = [],
  options?: Record<string, unknown>,
  window = WINDOW,
): Promise<FleetResult> {
  const f = pin(spawn('fleet', [], `${name}:${lib}`, ['--expose-gc', ...v8Flags, ...profArgs(lib, name)]), CLIENT_CPU);
  const steadyMs = STEADY_CYCLES * idleMs;
  try {
    const { pings } = await server.call<{ pings: number }>('stats');
    const res = await f.call<Omit<FleetResult, 'pings'>>(
      'run',
      { lib, url: `${base}/idle`, n, window, settleMs, idleMs, steadyMs, quietMs: idleMs > 0 ? REDUCER_SETTLE_MS : 0, options },
      // The first two windows, then the third.
      120_000 + 2 * idleMs + steadyMs + settleMs + REDUCER_SETTLE_MS,
    );
    const after = await server.call<{ pings: number }>('stats');
    return { ...res, pings: (after.pings - pings) / n };
  } finally {
    await f.stop(2000);
    await serverQuiet();
  }
}

async function memory(n: number): Promise<void> {
  const common = { unit: 'KiB/conn', better: 'lower' as const, fmt: fixed(1), libs };
  const opening = memoryWindow === WINDOW ? '' : `, ${memoryWindow.toLocaleString('en')} opening at once`;
  const title = `idle memory per connection (growth from ${(n / 2).toLocaleString('en')} to ${n.toLocaleString('en')} connections${opening}), fresh process per library and repetition`;
  const rss = metric({
    key: 'rss',
    title: `${title}: RSS`,
    headline: 'RSS per idle connection',
    ...common,
    target: { op: '<=', value: 1.1 },
  });
  const heap = metric({
    key: 'heap',
    title: `${title}: heap`,
    headline: 'heap per idle connection',
    ...common,
    target: { op: '<=', value: 1.5 },
  });
  // The heap row less V8's code spaces: machine code compiled while the measured half opened is
  // one-off, lands in the window or not from run to run, and is no library's per-connection cost.
  const objects = metric({
    key: 'heap-objects',
    title: `${title}: heap without V8's code spaces`,
    ...common,
    fmt: fixed(2), // the libraries nearest ws-machine differ by about 0.1 KiB
  });
  await rounds(title, libs, quick ? 0 : 1, cfg.memoryReps, [rss, heap, objects], async (lib, r) => {
    const res = await fleet(lib, n, 0, 'memory', undefined, FIXED_YOUNG_GENERATION, undefined, memoryWindow);
    if (r >= 0) {
      memoryRuns.push({ lib, rep: r, mid: res.mid, after: res.after });
      record(rss, lib, r, res.marginal.rss / 1024);
      record(heap, lib, r, res.marginal.heap / 1024);
      record(objects, lib, r, res.marginal.objects / 1024);
    }
  });
}

async function scale(n: number, idleMs: number): Promise<void> {
  const group = [...libs.filter((l) => l === 'ws-machine' || l === 'ws'), KEEPALIVE_BASELINE] as Lib[];
  const { pingInterval, pongTimeout } = cfg.keepAlive;
  const title = `${n.toLocaleString('en')} connections in one process`;
  const connect = metric({
    key: 'scale-connect',
    title: `${title}: time to connect all (two batches of ${(n / 2).toLocaleString('en')}, ${WINDOW} opening at once)`,
    unit: 'ms',
    better: 'lower',
    fmt: fixed(0),
    target: { op: '<=', value: 1.5 },
    headline: `${n.toLocaleString('en')} machines: time to connect all`,
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
  const keepAlive = `ping after ${pingInterval / 1000} s of silence, pong deadline ${pongTimeout / 1000} s`;
  const cpu = metric({
    key: 'scale-cpu',
    title: `${title}: idle CPU over ${(STEADY_CYCLES * idleMs) / 1000} s (${STEADY_CYCLES} ping cycles) from ${(cfg.scaleSettleMs + REDUCER_SETTLE_MS + 2 * idleMs) / 1000} s after the last open, the third of three windows back to back (the first two, rows of their own below, hold the process's first pings and one-off costs), keep-alive on (${keepAlive}); ratio to raw ws with the same keep-alive written by hand (ws-keepalive)`,
    unit: '% of one core',
    better: 'lower',
    fmt: fixed(2),
    target: { op: '<=', value: 1.1 },
    baseline: KEEPALIVE_BASELINE,
    headline: `${n.toLocaleString('en')} idle machines: CPU, keep-alive on`,
    libs: group,
  });
  const first = metric({
    key: 'scale-cpu-first',
    title: `${title}: idle CPU over the first window, ${idleMs / 1000} s from ${(cfg.scaleSettleMs + REDUCER_SETTLE_MS) / 1000} s after the last open (${REDUCER_SETTLE_MS / 1000} s after the memory reading's forced collections): the process's first pings, and one-off costs: V8 compiling the code they run, and collecting after them`,
    unit: '% of one core',
    better: 'lower',
    fmt: fixed(2),
    baseline: KEEPALIVE_BASELINE,
    libs: group,
  });
  const second = metric({
    key: 'scale-cpu-second',
    title: `${title}: idle CPU over the second window, ${idleMs / 1000} s from ${(cfg.scaleSettleMs + REDUCER_SETTLE_MS + idleMs) / 1000} s after the last open: one-off costs that outlast the first: V8 still optimising the code on the ping path, and throwing away optimised code whose embedded objects a collection cleared`,
    unit: '% of one core',
    better: 'lower',
    fmt: fixed(2),
    baseline: KEEPALIVE_BASELINE,
    libs: group,
  });
  const pings = metric({
    key: 'scale-pings',
    title: `${title}: pings the server received per connection, from the first open to the end of the last idle window`,
    unit: 'pings/conn',
    better: 'lower',
    fmt: fixed(2),
    baseline: KEEPALIVE_BASELINE,
    libs: group,
  });
  const reopened = metric({
    key: 'scale-reopened',
    title: `${title}: connections reopened during the run (keep-alive declared them dead; should be 0)`,
    unit: 'connections',
    better: 'lower',
    fmt: fixed(0),
    baseline: KEEPALIVE_BASELINE,
    libs: group,
  });
  const gc = metric({
    key: 'scale-gc',
    title: `${title}: of which GC pauses on the main thread (incremental and concurrent marking not included)`,
    unit: '% of one core',
    better: 'lower',
    fmt: fixed(2),
    baseline: KEEPALIVE_BASELINE,
    libs: group,
  });
  // Per-thread CPU comes from Linux's /proc; elsewhere the row is left out rather than shown empty.
  const main = existsSync('/proc/thread-self/stat')
    ? metric({
        key: 'scale-main',
        title: `${title}: of which on the main thread (the machines, the event loop, GC pauses and incremental marking; the rest is V8's helper threads: concurrent marking, sweeping, parallel scavenges)`,
        unit: '% of one core',
        better: 'lower',
        fmt: fixed(2),
        baseline: KEEPALIVE_BASELINE,
        libs: group,
      })
    : undefined;
  await rounds(
    title,
    group,
    quick ? 0 : 1,
    cfg.scaleReps,
    [connect, rss, cpu, ...(main ? [main] : []), gc, first, second, pings, reopened],
    async (lib, r) => {
      // The idle windows start after a settling time (past V8's post-growth memory-reducer GCs), the
      // memory reading, and REDUCER_SETTLE_MS (past the reducer's answer to the reading's collections).
      const options = lib === 'ws' ? undefined : { pingInterval, pongTimeout };
      const res = await fleet(lib, n, r >= 0 ? idleMs : 0, 'scale', r >= 0 ? cfg.scaleSettleMs : 1000, [], options);
      if (res.reopened) log(`  ${lib}: ${res.reopened} connections reopened while idle`);
      if (r >= 0) {
        record(connect, lib, r, res.connectMs);
        record(rss, lib, r, res.total.rss / 1024);
        record(cpu, lib, r, res.cpu!.percent);
        record(first, lib, r, res.firstCpu!.percent);
        record(second, lib, r, res.secondCpu!.percent);
        if (main && res.cpu!.mainPercent !== undefined) record(main, lib, r, res.cpu!.mainPercent);
        record(pings, lib, r, res.pings);
        record(reopened, lib, r, res.reopened);
        record(gc, lib, r, res.cpu!.gcPercent);
      }
    },
  );
}

let censusResults: Census[] = [];

async function runCensus(n: number): Promise<void> {
  censusResults = await census({ base, server, libs, n, warm: 100 });
}

interface FlowResult {
  samples: { t: number; rss: number; heap: number; heapTotal: number; sent: number; dropped: number }[];
  sent: number;
  dropped: number;
  capped: boolean;
  supported: boolean;
}

const flowResults = new Map<string, FlowResult | string>();

async function flow(durationMs: number): Promise<void> {
  for (const lib of libs.filter((l): l is 'ws-machine' | 'ws' => l === 'ws-machine' || l === 'ws')) {
    log(`flow control: ${lib}`);
    const f = pin(spawn('flow', [], `flow:${lib}`, profArgs(lib, 'flow')), CLIENT_CPU);
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

const ratioFmt = (v: number) => v.toFixed(2);

function meets(m: Metric, ratio: number, value: number): boolean | undefined {
  if (!m.target) return undefined;
  const x = m.target.absolute ? value : ratio;
  const op = m.target.op;
  return op === '>=' ? x >= m.target.value : op === '<' ? x < m.target.value : x <= m.target.value;
}

function targetText(m: Metric, short = false): string {
  if (!m.target) return '—';
  const op = short ? { '>=': '≥', '<=': '≤', '<': '<' }[m.target.op] : m.target.op;
  return m.target.absolute ? `${op} ${m.target.value} ${m.unit}` : short ? `${op} ${m.target.value}` : `ratio ${op} ${m.target.value}`;
}

function medianOf(m: Metric, lib: Lib): number | undefined {
  const v = valuesOf(m, lib);
  return v.length ? median(v) : undefined;
}

const baseName = (m: Metric) => (baselineOf(m) === 'ws' ? 'raw ws' : 'ws-keepalive (raw ws, keep-alive by hand)');

function peers(m: Metric): Lib[] {
  return m.libs.filter((l) => l !== 'ws' && l !== 'ws-machine' && l !== KEEPALIVE_BASELINE);
}

function summaryTable(): string[] {
  const out = [
    '| scenario | ws-machine | baseline | ratio: median (min–max) | target | met? | best peer (ratio) | beats every peer? |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const m of metrics) {
    const mine = medianOf(m, 'ws-machine');
    const raw = medianOf(m, baselineOf(m));
    const ratio = ratioSummary(m, 'ws-machine');
    if (mine === undefined || raw === undefined) {
      const why = m.errors.get('ws-machine') ?? m.errors.get(baselineOf(m)) ?? 'no data';
      out.push(`| ${m.title} | error | | | ${targetText(m)} | **missed** (${why.replace(/\|/g, '/')}) | | |`);
      continue;
    }
    if (!ratio) {
      // A baseline of 0 (no GC pause at all, say): values only.
      out.push(`| ${m.title} | ${m.fmt(mine)} ${m.unit} | ${baseName(m)}: ${m.fmt(raw)} ${m.unit} | — | ${targetText(m)} | — | | |`);
      continue;
    }
    const ok = meets(m, ratio.median, mine);
    const ps = peers(m).flatMap((l) => {
      const r = ratioSummary(m, l);
      return r ? [{ l, r: r.median }] : [];
    });
    let best = '—';
    let beats = '—';
    if (ps.length) {
      const top = ps.reduce((x, y) => ((m.better === 'higher' ? y.r > x.r : y.r < x.r) ? y : x));
      best = `${top.l} (${top.r.toFixed(2)})`;
      beats = (m.better === 'higher' ? ratio.median > top.r : ratio.median < top.r) ? 'yes' : '**no**';
    }
    out.push(
      `| ${m.title} | ${m.fmt(mine)} ${m.unit} | ${baseName(m)}: ${m.fmt(raw)} ${m.unit} | ${cell(ratio, (v) => v.toFixed(3))} | ${targetText(m)} | ${
        ok === undefined ? '—' : ok ? 'met' : '**missed**'
      } | ${best} | ${beats} |`,
    );
  }
  return out;
}

function detailTables(chartDir?: string): string[] {
  const out: string[] = [];
  for (const m of metrics) {
    out.push('', `### ${m.title}`, '');
    if (chartDir && m.headline && chartable(m)) out.push(`![${m.headline}: ratio to ${baseName(m)}](${chartDir}/${m.key}.svg)`, '');
    out.push(`| library | ${m.unit}: median (min–max) | ratio to ${baseName(m)}: median (min–max) | n |`, '|---|---|---|---|');
    for (const lib of m.libs) {
      const err = m.errors.get(lib);
      const v = valuesOf(m, lib);
      if (err && !v.length) {
        out.push(`| ${lib} | error: ${err.replace(/\|/g, '/')} | | |`);
        continue;
      }
      if (!v.length) continue;
      const s = summarize(v);
      const r = ratioSummary(m, lib);
      out.push(`| ${lib} | ${cell(s, m.fmt)} | ${r ? cell(r, ratioFmt) : '—'} | ${s.n} |`);
    }
  }
  return out;
}

/**
 * What the client process did during the stream runs: whether it was busy all along (then the
 * library is what limits the row) or waiting on the server and the kernel, and what its GC took.
 */
function streamDiagnostics(): string[] {
  if (!streamRuns.length) return [];
  const out = [
    '',
    "### Stream runs: where the client's time went",
    '',
    'Per library, medians over the measured runs: wall time of a run, the client process\'s CPU time over that wall time (1.00: busy all along, so the client limits the row; less: it waited for the server or the kernel), the share of wall time in GC pauses on its main thread, major (mark-compact) collections per run, and the pages the client faulted in per run (minor faults: memory the process touched that the kernel had not mapped for it, as when the C allocator takes back what it had given back; see "The 16 KiB stream row").',
    '',
    '| stream | library | runs | wall ms | client CPU / wall | GC pauses / wall | major GCs per run | page faults per run |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const key of [...new Set(streamRuns.map((x) => x.key))]) {
    for (const lib of libs) {
      const runs = streamRuns.filter((x) => x.key === key && x.lib === lib);
      if (!runs.length) continue;
      const med = (f: (x: (typeof runs)[number]) => number) => median(runs.map(f));
      out.push(
        `| ${key} | ${lib} | ${runs.length} | ${med((x) => x.ms).toFixed(0)} | ${med((x) => x.cpuMs / x.ms).toFixed(2)} | ${(
          med((x) => x.gc.ms / x.ms) * 100
        ).toFixed(1)} % | ${med((x) => x.gc.majors).toFixed(1)} | ${med((x) => x.faults).toFixed(0)} |`,
      );
    }
  }
  return out;
}

// --- charts and the README block ----------------------------------------------------------------

function chartable(m: Metric): boolean {
  return m.libs.filter((l) => ratiosOf(m, l).length).length >= 2;
}

function chartLabel(m: Metric, lib: Lib): string {
  if (lib === KEEPALIVE_BASELINE) return 'raw ws + keep-alive by hand';
  if (lib === 'ws') return baselineOf(m) === KEEPALIVE_BASELINE ? 'raw ws, no keep-alive' : 'raw ws';
  return lib;
}

/** One SVG per headline metric, into `dir`. */
function writeCharts(dir: string): void {
  mkdirSync(dir, { recursive: true });
  for (const m of metrics) {
    if (!m.headline || !chartable(m)) continue;
    const bars: Bar[] = m.libs.map((lib) => {
      const r = ratioSummary(m, lib);
      return {
        label: chartLabel(m, lib),
        value: r?.median ?? NaN,
        min: r?.min ?? NaN,
        max: r?.max ?? NaN,
        highlight: lib === 'ws-machine',
        baseline: lib === baselineOf(m),
      };
    });
    const reps = Math.max(...m.libs.map((l) => ratiosOf(m, l).length));
    const target = m.target && !m.target.absolute ? { value: m.target.value, label: `target ${targetText(m, true)}` } : undefined;
    const svg = svgChart({
      title: m.headline,
      subtitle: `ratio to ${baseName(m)}, ${m.better} is better; bar: median of ${reps} repetition${reps === 1 ? '' : 's'}, whiskers: min–max`,
      bars,
      target,
    });
    writeFileSync(`${dir}/${m.key}.svg`, svg);
  }
  const rows = metrics.flatMap((m) => {
    const r = m.headline ? ratioSummary(m, 'ws-machine') : undefined;
    if (!m.headline || !r) return [];
    return [
      {
        label: baselineOf(m) === KEEPALIVE_BASELINE ? `${m.headline} (vs ws + keep-alive)` : m.headline,
        better: m.better,
        value: r.median,
        min: r.min,
        max: r.max,
        target: m.target && !m.target.absolute ? m.target.value : undefined,
        peers: peers(m).flatMap((l) => {
          const x = ratioSummary(m, l);
          return x ? [{ name: l, value: x.median }] : [];
        }),
      },
    ];
  });
  if (rows.length) {
    writeFileSync(
      `${dir}/overview.svg`,
      svgOverview(
        'ws-machine against raw ws and the peer libraries',
        `npm run bench, ${cfg.mode} mode, ${new Date().toISOString().slice(0, 10)}: medians of the per-repetition ratios`,
        rows,
      ),
    );
  }
}

const README_START = '<!-- bench:start -->';
const README_END = '<!-- bench:end -->';

/** The README's performance table and charts, from this run. */
function readmeBlock(chartDir: string): string[] {
  const out = [
    README_START,
    '<!-- written by `npm run bench` (bench/run.ts) from the run in bench/RESULTS.md; edits here are overwritten -->',
    '',
    '| scenario | ws-machine / baseline: median (min–max) | target | peers (range of medians) |',
    '|---|---|---|---|',
  ];
  for (const m of metrics) {
    if (!m.headline) continue;
    const r = ratioSummary(m, 'ws-machine');
    if (!r) continue;
    const ps = peers(m).flatMap((l) => {
      const x = ratioSummary(m, l);
      return x ? [x.median] : [];
    });
    const range = ps.length ? `${Math.min(...ps).toFixed(2)}–${Math.max(...ps).toFixed(2)}` : '';
    const versus = baselineOf(m) === 'ws' ? '' : ' (baseline: raw `ws` with the same keep-alive written by hand)';
    out.push(`| ${m.headline}${versus} | ${cell(r, ratioFmt)} | ${targetText(m, true)} | ${range} |`);
  }
  out.push(
    '',
    `![ws-machine's ratio to raw ws in every headline scenario, with the peer libraries as dots](${chartDir}/overview.svg)`,
    '',
    `One chart per scenario, every library with its spread: [bench/RESULTS.md](bench/RESULTS.md).`,
    '',
    README_END,
  );
  return out;
}

function writeReadmeBlock(file: string, block: string[]): boolean {
  const text = readFileSync(file, 'utf8');
  const i = text.indexOf(README_START);
  const j = text.indexOf(README_END);
  if (i < 0 || j < i) return false;
  writeFileSync(file, text.slice(0, i) + block.join('\n') + text.slice(j + README_END.length));
  return true;
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

/** Hand-written or earlier blocks of the old report that a new run keeps: `<!-- name:start -->`. */
function keptBlock(file: string, name: string): string[] {
  if (!existsSync(file)) return [];
  const text = readFileSync(file, 'utf8');
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  return i >= 0 && j > i ? [text.slice(i, j + end.length)] : [];
}

function report(started: Date, seconds: number, measured: string, previous: string, chartDir: string | undefined): string {
  const messagePath = keptBlock(previous, 'notes:message-path');
  const stream16k = keptBlock(previous, 'notes:stream16k');
  const scaleNotes = keptBlock(previous, 'notes:scale');
  const memoryNotes = keptBlock(previous, 'notes:memory');
  const reconnectNotes = keptBlock(previous, 'notes:reconnect');
  const before = keptBlock(previous, 'census:before');
  const lines = [
    `# ws-machine benchmark results${quick ? ' (QUICK MODE: smaller counts, fewer repetitions; not the reference numbers)' : ''}`,
    '',
    `- Date: ${started.toISOString()}`,
    `- ws-machine: commit ${measured}${DIST_OVERRIDE ? ` (build from BENCH_WS_MACHINE=${DIST_OVERRIDE})` : ' (dist/esm, copied aside at the start)'}`,
    `- Node.js: ${process.version} (${process.platform} ${process.arch})`,
    `- Machine: ${os.availableParallelism()} × ${cpuModel()}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM`,
    `- Mode: ${cfg.mode}; ${cfg.warmup} warm-up round, then ${cfg.reps} repetition${cfg.reps === 1 ? '' : 's'} of the 64 B stream, send and echo (16 KiB stream ${stream16kReps}, memory ${cfg.memoryReps}, reconnect ${cfg.reconnectReps}, 10k scale ${cfg.scaleReps}); libraries alternate within every repetition, starting with a different one each time; ${seconds.toFixed(0)} s in all`,
    `- Load average (1 min) at start / end: ${loadAtStart.toFixed(2)} / ${os.loadavg()[0]!.toFixed(2)} (anything else running shares the cores and adds noise)`,
    `- CPU placement: ${canPin ? `server pinned to CPU ${SERVER_CPU}, every measured client process to CPU ${CLIENT_CPU} (\`taskset\`), except in the reconnect rows, where the clients share the server's CPU (see "The reconnect rows")` : 'left to the kernel (not pinned)'}; every client collects its garbage (a full GC) before each throughput and echo run, and runs with its young generation fixed at V8's default maximum (16 MiB semi-spaces; see "The 64 B stream and send rows")${NO_MALLOC_TRIM === undefined ? '' : ', and with glibc\'s trimming of its heap held off (`MALLOC_TRIM_THRESHOLD_`; see "The 16 KiB stream row")'}.`,
    '- Cells: median over repetitions (min–max). Ratios are taken per repetition (a value over the baseline from the same repetition), then summarised: median (min–max). The baseline is raw ws unless a row says otherwise.',
    '- Server: `ws` in its own process on 127.0.0.1 (streams are pre-framed and written straight to the socket, sends are counted from frame headers, so the client is what is measured).',
    '',
    '## ws-machine against the targets',
    '',
    ...summaryTable(),
    '',
    '## All libraries',
    ...detailTables(chartDir),
    ...streamDiagnostics(),
    ...flowTable(),
  ];
  if (messagePath.length) lines.push('', '## The 64 B stream and send rows', '', ...messagePath);
  if (stream16k.length) lines.push('', '## The 16 KiB stream row', '', ...stream16k);
  if (reconnectNotes.length) lines.push('', '## The reconnect rows', '', ...reconnectNotes);
  if (memoryNotes.length) lines.push('', '## The memory rows', '', ...memoryNotes);
  if (scaleNotes.length) lines.push('', '## The idle CPU row', '', ...scaleNotes);
  if (censusResults.length || before.length) {
    lines.push('', '## Heap census: what one idle connection leaves on the heap', '');
    lines.push(...before);
    if (censusResults.length) {
      const heading = `### Heap census of this run's build${before.length ? ' (after)' : ''}`;
      lines.push(
        '',
        '<!-- census:after:start -->',
        ...censusReport(censusResults, 15, heading, `commit ${measured}`),
        '<!-- census:after:end -->',
      );
    }
  }
  lines.push(
    '',
    '## Settings',
    '',
    ...[...libs, ...(only.has('scale') ? [KEEPALIVE_BASELINE] : [])].map((l) => `- **${l}**: ${SETTINGS[l as Lib]}`),
    '- Reconnect delay: the smallest each library accepts (0); minUptime 50 ms where there is one (1 h in the "through WAITING" row, so that every drop counts as a failure); 150 ms between closes.',
    `- Keep-alive in the scale scenario: ws-machine and ws-keepalive with \`pingInterval: ${cfg.keepAlive.pingInterval}\`, \`pongTimeout: ${cfg.keepAlive.pongTimeout}\`; raw ws without keep-alive for contrast.`,
    `- Memory and scale runs: a fresh process per library and repetition (\`--expose-gc\`, collected 4 times before each reading); memory per connection (${cfg.memoryConns.toLocaleString('en')} scenario) is the growth from half the connections to all of them, one-off costs excluded, with V8's young generation fixed at 16 MiB so its resizing does not count; in the scale scenario V8 runs with its defaults and RSS per connection is the growth from none to all; ${WINDOW} connections opening at once at most${memoryWindow === WINDOW ? '' : ` (${memoryWindow} in the memory rows)`}, so the kernel's accept queue never overflows.`,
    '',
  );
  return lines.join('\n');
}

// --- main -----------------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = new Date();
  if (libs.includes('ws-machine')) {
    ensureBuild(argv.build);
    snapshotBuild();
  }
  const measured = revision();
  await compileChildren();
  server = pin(spawn('server', [], 'server'), SERVER_CPU);
  const { port } = await server.call<{ port: number }>('port', {}, 30_000);
  base = `ws://127.0.0.1:${port}`;
  log(`server on ${base}; mode ${cfg.mode}; libraries: ${libs.join(', ')}; ${canPin ? 'pinned' : 'not pinned'}`);
  startWorkers();

  if (only.has('stream64')) await stream('stream64', cfg.stream64, 64);
  if (only.has('stream16k')) await stream('stream16k', stream16kCount, 16 * 1024, stream16kReps);
  if (only.has('send')) await send(cfg.send, 64);
  if (only.has('echo')) await echo(cfg.echo, 64);
  if (only.has('reconnect')) await reconnect(cfg.reconnectCycles, 'drop');
  if (only.has('reconnect-wait')) await reconnect(cfg.reconnectCycles, 'wait');
  if (only.has('reconnect-command')) await reconnect(cfg.reconnectCycles, 'command');
  await Promise.all([...workers.values()].map((w) => w.stop()));
  if (only.has('memory')) await memory(cfg.memoryConns);
  if (only.has('scale')) await scale(cfg.scaleConns, cfg.scaleIdleMs);
  if (only.has('census')) await runCensus(cfg.censusConns);
  if (only.has('flow')) await flow(cfg.flowMs);

  const official = !argv.out && !quick && !filtered;
  const target = argv.out ?? (official ? `${ROOT}bench/RESULTS.md` : `${ROOT}bench/.out/${cfg.mode}.md`);
  const chartDir = official ? `${ROOT}bench/charts` : `${ROOT}bench/.out/charts`;
  writeCharts(chartDir);
  const previous = `${ROOT}bench/RESULTS.md`;
  const text = report(started, (Date.now() - started.getTime()) / 1000, measured, previous, relative(dirname(target), chartDir));
  process.stdout.write(`${text}\n`);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, text);
  log(`wrote ${target} and the charts in ${chartDir}`);
  if (argv.json) {
    const values = Object.fromEntries(
      metrics.map((m) => [m.key, Object.fromEntries([...m.values].map(([l, v]) => [l, Object.fromEntries(v)]))]),
    );
    const paired = Object.fromEntries(
      metrics.filter((m) => m.paired).map((m) => [m.key, Object.fromEntries([...m.paired!].map(([l, v]) => [l, Object.fromEntries(v)]))]),
    );
    writeFileSync(argv.json, JSON.stringify({ pinned: canPin, values, paired, streamRuns, memoryRuns }, null, 1));
    log(`wrote ${argv.json}`);
  }
  const block = readmeBlock(relative(ROOT, chartDir));
  if (official && writeReadmeBlock(`${ROOT}README.md`, block)) log('wrote the performance block of README.md');
  else {
    writeFileSync(`${ROOT}bench/.out/readme-block.md`, `${block.join('\n')}\n`);
    log(`README block (not written into README.md): ${ROOT}bench/.out/readme-block.md`);
  }
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
