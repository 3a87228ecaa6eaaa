// A fresh process that opens many idle connections with one library (memory per connection, and the
// 10,000-machine scale scenario). Run with --expose-gc. One library per process, so they cannot
// pollute each other's heap.
import { loadAdapter, type Client, type Lib } from './adapters.js';
import { PerformanceObserver } from 'node:perf_hooks';
import { now, serve, sleep } from './ipc.js';

interface Run {
  lib: Lib;
  url: string;
  n: number;
  /** Connections opening at once: keeps the burst inside the kernel's accept queue (somaxconn). */
  window: number;
  settleMs: number;
  idleMs: number;
}

interface Reading {
  rss: number;
  heap: number;
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
  return { rss: m.rss, heap: m.heapUsed, heapTotal: m.heapTotal, external: m.external };
}

serve({
  async run({ lib, url, n, window, settleMs, idleMs }: Run) {
    const connect = await loadAdapter(lib);
    const base = await collect();
    const clients: Client[] = [];
    let started = 0;
    let reopened = 0;
    /** Opens `count` more connections, at most `window` at once; resolves with the time taken. */
    const open = (count: number) =>
      new Promise<number>((resolve) => {
        const t0 = now();
        const end = started + count;
        let opened = 0;
        const launch = () => {
          while (started < end && started - (end - count) - opened < window) {
            let first = true;
            clients.push(
              connect(`${url}?id=f${started++}`, {
                open() {
                  if (!first) {
                    reopened++;
                    return;
                  }
                  first = false;
                  if (++opened === count) resolve(now() - t0);
                  else launch();
                },
                message() {},
              }),
            );
          }
        };
        launch();
      });
    // Readings with none, half and all of the connections open: the growth from half to all is
    // what one more connection costs, without the one-off costs (code compiled, buffers grown to
    // their working size) that the first connections pay and that weigh on a small count.
    const first = await open(n - (n >> 1));
    await sleep(Math.min(settleMs, 1000));
    const mid = await collect();
    const second = await open(n >> 1);
    await sleep(settleMs);
    const after = await collect();
    let cpu: { percent: number; userPercent: number; gcPercent: number; ms: number } | undefined;
    if (idleMs > 0) {
      // GC pauses on the main thread, to tell collector work from the machines' own.
      let gcMs = 0;
      const observer = new PerformanceObserver((list) => {
        for (const e of list.getEntries()) gcMs += e.duration;
      });
      observer.observe({ entryTypes: ['gc'] });
      const c0 = process.cpuUsage();
      const w0 = now();
      await sleep(idleMs);
      const c1 = process.cpuUsage(c0);
      const wall = now() - w0;
      observer.disconnect();
      cpu = {
        percent: ((c1.user + c1.system) / 1000 / wall) * 100,
        userPercent: (c1.user / 1000 / wall) * 100,
        gcPercent: (gcMs / wall) * 100,
        ms: wall,
      };
    }
    return {
      connectMs: first + second,
      marginal: { rss: (after.rss - mid.rss) / (n >> 1), heap: (after.heap - mid.heap) / (n >> 1) },
      total: { rss: (after.rss - base.rss) / n, heap: (after.heap - base.heap) / n },
      base,
      mid,
      after,
      cpu,
      reopened,
      clients: clients.length,
    };
  },
});
