// A long-lived client process for one library (argv[2]): runs the throughput, echo and reconnect
// scenarios on command, one connection at a time. One process per library keeps each library's
// JIT state and heap to itself while the orchestrator alternates between them.
import { PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { loadAdapter, sizeOf, type Client, type Connect, type Lib } from './adapters.js';
import { now, serve } from './ipc.js';
import { mean, percentile } from './stats.js';

const lib = process.argv[2] as Lib;
/** One adapter per set of options (the reconnect variants give ws-machine other options). */
const adapters = new Map<string, Promise<Connect>>();
function adapter(options: Record<string, unknown> = {}): Promise<Connect> {
  const key = JSON.stringify(options);
  let a = adapters.get(key);
  if (!a) adapters.set(key, (a = loadAdapter(lib, options)));
  return a;
}
await adapter();

let client: Client | undefined;
let messages = 0;
let bytes = 0;
let target = Infinity;
let onTarget: (() => void) | undefined;
let echoStep: ((n: number) => void) | undefined;
let opens: number[] = [];
let openWaiters: (() => void)[] = [];

// GC pauses on the main thread during a stream (to tell the collector's share of its time).
const gcKinds: Record<number, string> = { 1: 'minor', 2: 'major', 4: 'incremental', 8: 'weakcb' };
let gcLog: { kind: string; ms: number }[] | undefined;
new PerformanceObserver((list) => {
  if (!gcLog) return;
  for (const e of list.getEntries() as (PerformanceEntry & { detail?: { kind?: number } })[]) {
    gcLog.push({ kind: gcKinds[e.detail?.kind ?? 0] ?? 'other', ms: e.duration });
  }
}).observe({ entryTypes: ['gc'] });

const handlers = {
  open() {
    opens.push(now());
    for (const f of openWaiters.splice(0)) f();
  },
  message(data: unknown) {
    const n = sizeOf(data);
    if (echoStep) {
      echoStep(n);
      return;
    }
    messages++;
    bytes += n;
    if (messages === target) onTarget?.();
  },
};

function payload(size: number): Uint8Array {
  return new Uint8Array(size).fill(0x61);
}

function waitOpens(count: number): Promise<number> {
  return new Promise((resolve) => {
    const check = () => {
      if (opens.length >= count) resolve(opens[count - 1]!);
      else openWaiters.push(check);
    };
    check();
  });
}

function current(): Client {
  if (!client) throw new Error('no connection');
  return client;
}

serve({
  async open({ url, options }: { url: string; options?: Record<string, unknown> }) {
    const connect = await adapter(options);
    client?.close();
    messages = 0;
    bytes = 0;
    target = Infinity;
    opens = [];
    openWaiters = [];
    client = connect(url, handlers);
    return { t: await waitOpens(1) };
  },

  close() {
    client?.close();
    client = undefined;
    return {};
  },

  /**
   * Resolves once `count` messages have arrived on the current connection, with this process's
   * CPU time and GC pauses from the call until then.
   */
  awaitMessages({ count }: { count: number }) {
    const cpu0 = process.cpuUsage();
    const faults0 = process.resourceUsage().minorPageFault;
    const log: { kind: string; ms: number }[] = [];
    gcLog = log;
    return new Promise((resolve) => {
      const done = () => {
        const tEnd = now();
        const cpu = process.cpuUsage(cpu0);
        const faults = process.resourceUsage().minorPageFault - faults0;
        onTarget = undefined;
        target = Infinity;
        // GC entries are delivered asynchronously: collect them a moment later.
        setTimeout(() => {
          gcLog = undefined;
          const sum = (kind?: string) => log.filter((g) => !kind || g.kind === kind).reduce((a, g) => a + g.ms, 0);
          resolve({
            tEnd,
            messages,
            bytes,
            cpuMs: (cpu.user + cpu.system) / 1000,
            faults,
            gc: { count: log.length, ms: sum(), majors: log.filter((g) => g.kind === 'major').length, majorMs: sum('major') },
          });
        }, 5);
      };
      if (messages >= count) {
        done();
        return;
      }
      target = count;
      onTarget = done;
    });
  },

  send({ count, size }: { count: number; size: number }) {
    const c = current();
    const data = payload(size);
    const tStart = now();
    for (let i = 0; i < count; i++) c.send(data);
    return { tStart, tLoop: now() };
  },

  echo({ count, size }: { count: number; size: number }) {
    const c = current();
    const data = payload(size);
    const rtt = new Float64Array(count);
    let i = 0;
    let bad = 0;
    let t = 0;
    return new Promise((resolve) => {
      echoStep = (n) => {
        rtt[i++] = now() - t;
        if (n !== size) bad++;
        if (i === count) {
          echoStep = undefined;
          const all = Array.from(rtt);
          resolve({ p50: percentile(all, 50), p99: percentile(all, 99), mean: mean(all), bad });
          return;
        }
        t = now();
        c.send(data);
      };
      t = now();
      c.send(data);
    });
  },

  opens() {
    return { count: opens.length };
  },

  /** Asks for a reconnect now (ws-machine: Command.RECONNECT); `t0` is when it was asked. */
  reconnectNow() {
    const c = current();
    if (!c.reconnect) throw new Error(`${lib} has no reconnect in this bench`);
    const t0 = now();
    c.reconnect();
    return { t0 };
  },

  /** A full collection (the process runs with --expose-gc when the bench asks for it). */
  gc() {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (!gc) return { gc: false };
    gc();
    return { gc: true };
  },

  waitOpen({ count }: { count: number }) {
    return waitOpens(count).then((t) => ({ t }));
  },
});
