// Flow control: a producer pushes 1 KiB messages as fast as it can into a connection whose server
// reads slowly; the process samples its RSS and heap. With ws-machine's `highWaterMark`, output
// holds messages in its bounded queue (what the queue gives up goes to dropped$), so memory stays
// flat; raw ws, for contrast, buffers everything (capped so the run stays bounded).
import { DIST } from './adapters.js';
import { now, serve, sleep } from './ipc.js';

interface Run {
  lib: 'ws-machine' | 'ws';
  url: string;
  durationMs: number;
  sampleMs: number;
  size: number;
  highWaterMark: number;
  /** Stop the producer early above this RSS (raw ws has no bound of its own). */
  rssCap: number;
}

interface Sample {
  t: number;
  rss: number;
  heap: number;
  heapTotal: number;
  external: number;
  sent: number;
  dropped: number;
}

type Machine = typeof import('../lib/index.js');

serve({
  async run({ lib, url, durationMs, sampleMs, size, highWaterMark, rssCap }: Run) {
    const data = new Uint8Array(size).fill(0x62);
    let push: (d: Uint8Array) => void;
    let stop: () => void;
    let dropped = 0;
    let supported = true;
    if (lib === 'ws-machine') {
      const { Machine, Command } = (await import(DIST.href)) as Machine;
      const options = { highWaterMark } as Record<string, unknown>;
      let m: InstanceType<Machine['Machine']>;
      try {
        m = new Machine(url, options);
      } catch {
        // A core without the option may reject it as unknown; run without it and say so.
        supported = false;
        m = new Machine(url);
      }
      m.dropped$.subscribe(() => dropped++);
      await new Promise<void>((resolve) => {
        const sub = m.state$.subscribe((s) => {
          if (s.state === 'CONNECTED') {
            resolve();
            queueMicrotask(() => sub.unsubscribe());
          }
        });
      });
      push = (d) => m.output.next(d);
      stop = () => m.command.next(Command.QUIT);
    } else {
      const { WebSocket } = await import('ws');
      const ws = new WebSocket(url);
      await new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      });
      push = (d) => ws.send(d);
      stop = () => ws.terminate();
    }

    const samples: Sample[] = [];
    let sent = 0;
    const t0 = now();
    let capped = false;
    const sample = () => {
      const m = process.memoryUsage();
      samples.push({ t: now() - t0, rss: m.rss, heap: m.heapUsed, heapTotal: m.heapTotal, external: m.external, sent, dropped });
      if (m.rss > rssCap) capped = true;
    };
    sample();
    const timer = setInterval(sample, sampleMs);
    await new Promise<void>((resolve) => {
      const pump = () => {
        for (let i = 0; i < 256; i++) push(data);
        sent += 256;
        if (capped || now() - t0 >= durationMs) {
          resolve();
          return;
        }
        setImmediate(pump);
      };
      pump();
    });
    sample();
    clearInterval(timer);
    stop();
    await sleep(50);
    return { samples, sent, dropped, capped, supported };
  },
});
