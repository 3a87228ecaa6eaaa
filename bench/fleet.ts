// A fresh process that opens many idle connections with one library (memory per connection, the
// 10,000-machine scale scenario, and the heap census). Run with --expose-gc. One library per
// process, so they cannot pollute each other's heap.
import { readFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';
import { loadAdapter, type Client, type Connect, type Lib } from './adapters.js';
import { now, serve, sleep, type IdleCpu } from './ipc.js';

interface Run {
  lib: Lib;
  url: string;
  n: number;
  /** Connections opening at once: keeps the burst inside the kernel's accept queue (somaxconn). */
  window: number;
  settleMs: number;
  idleMs: number;
  /** With idle windows: the third, measured once the first two are over (0: none). */
  steadyMs?: number;
  /** With an idle window: the wait between the reading and the window (see `REDUCER_SETTLE_MS` in run.ts). */
  quietMs?: number;
  /** Adapter options (ws-machine options, the keep-alive baseline's intervals). */
  options?: Record<string, unknown>;
}

/** `process.memoryUsage()` in bytes, after full collections. */
export interface Reading {
  rss: number;
  heap: number;
  /** Of `heap`, what V8's code spaces hold: code compiled and optimised, not objects. */
  code: number;
  heapTotal: number;
  external: number;
}

async function collect(): Promise<Reading> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 4; i++) {
    gc?.();
    await sleep(20);
  }
  const m = process.memoryUsage();
  let code = 0;
  for (const space of getHeapSpaceStatistics()) if (space.space_name.startsWith('code_')) code += space.space_used_size;
  return { rss: m.rss, heap: m.heapUsed, code, heapTotal: m.heapTotal, external: m.external };
}

/**
 * CPU clock ticks (user + system) of this thread and of the whole process, from Linux's /proc;
 * undefined elsewhere. Their ratio splits the idle window's CPU between the main thread (the
 * machines, the event loop, GC pauses and incremental marking) and the helper threads (V8's
 * concurrent marking, sweeping and parallel scavenging).
 */
function ticks(): { main: number; all: number } | undefined {
  const read = (path: string) => {
    const stat = readFileSync(path, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces: utime and stime
    // are fields 14 and 15 of stat(5), 11 and 12 from here.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  };
  try {
    return { main: read('/proc/thread-self/stat'), all: read('/proc/self/stat') };
  } catch {
    return undefined;
  }
}

/** The process's CPU over the next `ms`, doing nothing but what its connections do. */
async function idleWindow(ms: number): Promise<IdleCpu> {
  // GC pauses on the main thread, to tell collector work from the machines' own.
  let gcMs = 0;
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcMs += e.duration;
  });
  observer.observe({ entryTypes: ['gc'] });
  const c0 = process.cpuUsage();
  const t0 = ticks();
  const w0 = now();
  await sleep(ms);
  const c1 = process.cpuUsage(c0);
  const t1 = ticks();
  const wall = now() - w0;
  observer.disconnect();
  const percent = ((c1.user + c1.system) / 1000 / wall) * 100;
  const main = t0 && t1 && t1.all > t0.all ? (t1.main - t0.main) / (t1.all - t0.all) : undefined;
  return {
    percent,
    mainPercent: main === undefined ? undefined : percent * main,
    userPercent: (c1.user / 1000 / wall) * 100,
    gcPercent: (gcMs / wall) * 100,
    ms: wall,
  };
}

/** Opens connections in batches, at most `window` opening at once; counts reopens while idle. */
class Opener {
  readonly clients: Client[] = [];
  private started = 0;
  reopened = 0;

  constructor(
    private readonly connect: Connect,
    private readonly url: string,
    private readonly window: number,
  ) {}

  /** Opens `count` more connections; resolves with the time taken in ms. */
  open(count: number): Promise<number> {
    return new Promise<number>((resolve) => {
      const t0 = now();
      const end = this.started + count;
      let opened = 0;
      const launch = () => {
        while (this.started < end && this.started - (end - count) - opened < this.window) {
          let first = true;
          this.clients.push(
            this.connect(`${this.url}?id=f${this.started++}`, {
              open: () => {
                if (!first) {
                  this.reopened++;
                  return;
                }
                first = false;
                if (++opened === count) resolve(now() - t0);
                else launch();
              },
              message: () => {
                // The fleet counts connections only; what they receive is not read.
              },
            }),
          );
        }
      };
      launch();
    });
  }
}

/** Script ids to URLs, read through the inspector (heap snapshots name scripts by id only). */
async function scriptUrls(): Promise<Record<string, string>> {
  const session = new Session();
  session.connect();
  const urls: Record<string, string> = {};
  session.on('Debugger.scriptParsed', ({ params }) => {
    urls[params.scriptId] = params.url;
  });
  await new Promise<void>((resolve, reject) => session.post('Debugger.enable', (e) => (e ? reject(e) : resolve())));
  await new Promise<void>((resolve) => session.post('Debugger.disable', () => resolve()));
  session.disconnect();
  return urls;
}

serve({
  async run({ lib, url, n, window, settleMs, idleMs, steadyMs = 0, quietMs = 0, options }: Run) {
    const connect = await loadAdapter(lib, options);
    const base = await collect();
    const fleet = new Opener(connect, url, window);
    // Readings with none, half and all of the connections open: the growth from half to all is
    // what one more connection costs, without the one-off costs (code compiled, buffers grown to
    // their working size) that the first connections pay and that weigh on a small count.
    const first = await fleet.open(n - (n >> 1));
    await sleep(Math.min(settleMs, 1000));
    const mid = await collect();
    const second = await fleet.open(n >> 1);
    await sleep(settleMs);
    const after = await collect();
    let cpu: IdleCpu | undefined;
    let firstCpu: IdleCpu | undefined;
    let secondCpu: IdleCpu | undefined;
    if (idleMs > 0) {
      // The reading's own forced collections set V8's memory reducer going: a full mark-compact
      // about 8 s later and up to two more 0.5 s apart, costing in proportion to the live heap.
      // Those belong to the harness, not to the client, so the windows open once they are over.
      await sleep(quietMs);
      // Windows back to back (in the full run the first two each as long as the ping interval, so
      // each holds one ping per connection). The first holds the process's first pings, and with
      // them one-offs: V8 compiling the code on the ping path, and collecting after the first
      // wave. V8's code log showed the second still holding some of that for every client
      // (optimising compiles of the ping path, code thrown away when a collection cleared what it
      // pointed to), so the idle fleet's own cost is the third.
      firstCpu = await idleWindow(idleMs);
      secondCpu = await idleWindow(idleMs);
      if (steadyMs > 0) cpu = await idleWindow(steadyMs);
    }
    return {
      connectMs: first + second,
      marginal: {
        rss: (after.rss - mid.rss) / (n >> 1),
        heap: (after.heap - mid.heap) / (n >> 1),
        // The code V8 happens to compile or optimise while the second half opens lands in `heap`
        // too: up to 0.2 KiB a connection, differently in each run.
        objects: (after.heap - after.code - (mid.heap - mid.code)) / (n >> 1),
      },
      total: { rss: (after.rss - base.rss) / n, heap: (after.heap - base.heap) / n },
      base,
      mid,
      after,
      cpu,
      firstCpu,
      secondCpu,
      reopened: fleet.reopened,
      clients: fleet.clients.length,
    };
  },

  /**
   * Heap census: `warm` connections first (one-off costs), a heap snapshot, `n` more connections,
   * a second snapshot. The orchestrator diffs the two; the script URLs name closures' locations.
   */
  async census({ lib, url, n, warm, window, settleMs, options, dir }: Run & { warm: number; dir: string }) {
    const connect = await loadAdapter(lib, options);
    const fleet = new Opener(connect, url, window);
    await fleet.open(warm);
    await sleep(settleMs);
    const before = await collect();
    const a = writeHeapSnapshot(`${dir}/${lib}-before.heapsnapshot`);
    await fleet.open(n);
    await sleep(settleMs);
    const after = await collect();
    const b = writeHeapSnapshot(`${dir}/${lib}-after.heapsnapshot`);
    return {
      snapshots: [a, b],
      n,
      heap: (after.heap - before.heap) / n,
      reopened: fleet.reopened,
      scripts: await scriptUrls(),
    };
  },
});
