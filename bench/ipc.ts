// Request/response over the Node IPC channel between the bench orchestrator and its children.
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Milliseconds on CLOCK_MONOTONIC: on Linux the same clock in every process, so stamps taken in
 * the server and in a client can be subtracted. */
export function now(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** What an idle window of the scale scenario cost, in % of one core: bench/fleet.ts measures it, bench/run.ts reports it. */
export interface IdleCpu {
  percent: number;
  userPercent: number;
  /** GC pauses on the main thread. */
  gcPercent: number;
  /** Everything on the main thread; undefined where Linux's per-thread counters are missing. */
  mainPercent?: number;
  ms: number;
}

interface Request {
  rid: number;
  cmd: string;
  args: unknown;
}

interface Reply {
  rid: number;
  ok: boolean;
  value?: unknown;
  error?: string;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

const children = new Set<ChildProcess>();

// Nothing outlives the orchestrator: every child is killed when it exits, whatever the reason.
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

export class Child {
  private seq = 0;
  private readonly pending = new Map<number, Pending>();
  private gone: string | undefined;
  readonly exited: Promise<void>;

  constructor(
    readonly proc: ChildProcess,
    readonly name: string,
  ) {
    children.add(proc);
    proc.on('message', (raw: unknown) => {
      const reply = raw as Reply;
      const p = this.pending.get(reply.rid);
      if (!p) return;
      this.pending.delete(reply.rid);
      clearTimeout(p.timer);
      if (reply.ok) p.resolve(reply.value);
      else p.reject(new Error(`${this.name}: ${reply.error ?? 'failed'}`));
    });
    this.exited = new Promise((resolve) => {
      proc.on('exit', (code, signal) => {
        children.delete(proc);
        this.gone = `${this.name} exited (${signal ?? code})`;
        for (const p of this.pending.values()) {
          clearTimeout(p.timer);
          p.reject(new Error(this.gone));
        }
        this.pending.clear();
        resolve();
      });
    });
  }

  call<T>(cmd: string, args: unknown = {}, timeoutMs = 60_000): Promise<T> {
    if (this.gone) return Promise.reject(new Error(this.gone));
    const rid = ++this.seq;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(rid);
        reject(new Error(`${this.name}: ${cmd} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(rid, { resolve, reject, timer });
      this.proc.send({ rid, cmd, args } satisfies Request);
    });
  }

  async kill(): Promise<void> {
    if (!this.gone) this.proc.kill('SIGKILL');
    await this.exited;
  }

  /** Asks the child to exit by itself (so --cpu-prof can write its profile), then kills it. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.gone) return;
    this.call('exit', {}, graceMs).catch(() => undefined);
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

export type Script = 'server' | 'client' | 'fleet' | 'flow';

/**
 * Forks one of the bench scripts: the plain-JS build in BENCH_JS_DIR when there is one (what
 * run.ts measures with, since a loader hook in the measured process changes how V8 collects
 * garbage there), else the TypeScript source through tsx. `env`: variables added to this process's.
 */
export function spawn(
  script: Script,
  args: string[],
  name: string,
  nodeArgs: string[] = [],
  env?: Readonly<Record<string, string>>,
): Child {
  const jsDir = process.env.BENCH_JS_DIR;
  const path = jsDir ? join(jsDir, `${script}.js`) : fileURLToPath(new URL(`./${script}.ts`, import.meta.url));
  const proc = fork(path, args, {
    execArgv: jsDir ? nodeArgs : ['--import', import.meta.resolve('tsx'), ...nodeArgs],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: env === undefined ? process.env : { ...process.env, ...env },
  });
  return new Child(proc, name);
}

type Handler = (args: never) => unknown;

/** Child side: answers requests with the handler of the same name; leaves when the parent does. */
export function serve(handlers: Record<string, Handler>): void {
  const send = (reply: Reply) => {
    if (process.connected) process.send?.(reply);
  };
  process.on('message', (raw: unknown) => {
    const { rid, cmd, args } = raw as Request;
    if (cmd === 'exit') {
      send({ rid, ok: true });
      setImmediate(() => process.exit(0));
      return;
    }
    const handler = handlers[cmd];
    if (!handler) {
      send({ rid, ok: false, error: `unknown command ${cmd}` });
      return;
    }
    Promise.resolve()
      .then(() => handler(args as never))
      .then(
        (value) => send({ rid, ok: true, value }),
        (error: unknown) => send({ rid, ok: false, error: error instanceof Error ? error.message : String(error) }),
      );
  });
  process.on('disconnect', () => process.exit(0));
}
