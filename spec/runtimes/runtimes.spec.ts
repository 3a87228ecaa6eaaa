/**
 * Bun and Deno as first-class runtimes (issue 11): the built package, loaded by its name, runs under
 * each runtime as the client (spec/runtimes/scenario.ts) against `ws` servers run here in Node.
 * Bun replaces `ws` with its own compatibility layer (no raw socket); Deno runs the real `ws` on its
 * Node compatibility layer. Both binaries come from npm (devDependencies `bun` and `deno`).
 *
 * The same scenarios run under this Node first, as the baseline. Run with `npm run test:runtimes`,
 * which builds dist first.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { transformSync } from 'esbuild';
import { echo, until, useCleanup, wsServer } from '../integration/helpers.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const scenarioFile = join(root, 'spec', 'runtimes', 'scenario.ts');
// For Node (20 runs no TypeScript): the scenario with its types stripped, inside the package so that
// `ws-machine` still resolves to the package itself.
const scenarioJs = join(root, '.tmp', 'runtimes', 'scenario.mjs');
const require = createRequire(import.meta.url);
const windows = process.platform === 'win32';

interface Runtime {
  readonly name: string;
  readonly bin: string;
  /** Runs the scenario as JavaScript (scenarioJs) rather than TypeScript. */
  readonly js?: boolean;
  /** The arguments that run `file` with `args`. */
  command(file: string, args: string[]): string[];
}

/**
 * The runtime's binary. The `bun` and `deno` packages put it in place from their platform package
 * (an optional dependency, from the npm registry like any other) in a postinstall script; where
 * install scripts did not run, it is still in the platform package (`@oven/bun-linux-x64`, …).
 */
function binary(pkg: string, placed: string, scope: string, prefix: string, inPlatform: string): string {
  const candidates = [join(dirname(require.resolve(`${pkg}/package.json`)), placed)];
  const scopeDir = join(root, 'node_modules', scope);
  if (existsSync(scopeDir)) {
    for (const name of readdirSync(scopeDir)) if (name.startsWith(prefix)) candidates.push(join(scopeDir, name, inPlatform));
  }
  // The packages ship a small placeholder where the postinstall script puts the binary.
  return candidates.find((file) => existsSync(file) && statSync(file).size > 1_000_000) ?? candidates[0]!;
}

/** A Node binary as a runtime. */
const nodeRuntime = (bin: string): Runtime => ({ name: 'Node', bin, js: true, command: (file, args) => [file, ...args] });

// The binaries themselves, not the packages' Node wrappers: a Node process per run would only add time.
// Node (this one) runs the same scenarios as the baseline: a scenario that fails there is wrong itself.
// More Node binaries can be tried with RUNTIMES_NODE=/path/to/node22:/path/to/node24.
const RUNTIMES: readonly Runtime[] = [
  nodeRuntime(process.execPath),
  ...(process.env.RUNTIMES_NODE ?? '').split(':').filter(Boolean).map(nodeRuntime),
  {
    name: 'Bun',
    bin: binary('bun', join('bin', 'bun.exe'), '@oven', 'bun-', join('bin', windows ? 'bun.exe' : 'bun')),
    command: (file, args) => [file, ...args],
  },
  {
    name: 'Deno',
    bin: binary('deno', windows ? 'deno.exe' : 'deno', '@deno', '', windows ? 'deno.exe' : 'deno'),
    // Only what the scenario needs: the loopback, the package's files, the two variables ws reads.
    command: (file, args) => [
      'run',
      '--no-lock',
      '--allow-net=127.0.0.1',
      `--allow-read=${root}`,
      '--allow-env=WS_NO_BUFFER_UTIL,WS_NO_UTF_8_VALIDATE',
      file,
      ...args,
    ],
  },
];

/** One line the scenario printed. */
interface Line {
  t: 'status' | 'input' | 'quit' | 'queued' | 'complete';
  at: number;
  state?: string;
  error?: string;
  attempt?: number;
  text?: string;
  bytes?: number[];
  uint8array?: boolean;
}

interface Run {
  readonly lines: Line[];
  /** `STATE` or `STATE ErrorName` per status line. */
  statuses(): string[];
  /** Resolves with the exit code once the process ended; rejects if it is still running after `ms`. */
  exit(ms: number): Promise<number | null>;
  /** Waits for a line matching `match`. */
  line(match: (line: Line) => boolean, what: string, ms?: number): Promise<Line>;
}

const children: ChildProcess[] = [];
const env = { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1', DENO_NO_PROMPT: '1' };

function run(runtime: Runtime, scenario: string, url: string): Run {
  const child = spawn(runtime.bin, runtime.command(runtime.js ? scenarioJs : scenarioFile, [scenario, url]), {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const lines: Line[] = [];
  let stdout = '';
  let stderr = '';
  let code: number | null | undefined;
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    const complete = stdout.split('\n');
    stdout = complete.pop() ?? '';
    for (const text of complete) if (text.trim() !== '') lines.push(JSON.parse(text) as Line);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<void>((resolve) =>
    child.on('close', (c) => {
      code = c;
      resolve();
    }),
  );
  const context = (): string => `\n  lines: ${lines.map((l) => JSON.stringify(l)).join('\n         ')}\n  stderr: ${stderr}`;
  return {
    lines,
    statuses: () => lines.filter((l) => l.t === 'status').map((l) => (l.error === undefined ? String(l.state) : `${l.state} ${l.error}`)),
    exit: async (ms) => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
      const outcome = await Promise.race([exited, late]);
      clearTimeout(timer);
      if (outcome === 'timeout') {
        throw new Error(`${runtime.name} did not exit within ${ms} ms after QUIT${context()}`);
      }
      if (code !== 0) throw new Error(`${runtime.name} exited with code ${String(code)}${context()}`);
      return code;
    },
    line: async (match, what, ms = 5000) => {
      try {
        await until(() => lines.some(match) || code !== undefined, ms, what);
      } catch (error) {
        throw new Error(`${(error as Error).message}${context()}`, { cause: error });
      }
      const found = lines.find(match);
      if (found === undefined) throw new Error(`${runtime.name} exited (code ${String(code)}) before ${what}${context()}`);
      return found;
    },
  };
}

// Startup of a runtime (a cold cache, a loaded machine) plus the scenario itself.
const EXIT_MS = 15_000;

for (const runtime of RUNTIMES) {
  const version = existsSync(runtime.bin)
    ? execFileSync(runtime.bin, ['--version'], { encoding: 'utf8' }).replace(/ \(.*/s, '').trim()
    : 'missing';

  describe(`runtime: ${runtime.name} (${version})`, function () {
    this.timeout(EXIT_MS + 5000);
    useCleanup();
    before(function () {
      if (!existsSync(join(root, 'dist', 'esm', 'index.js')))
        throw new Error('dist/ is not built: run `npm run build` (npm run test:runtimes does)');
      if (runtime.js) {
        mkdirSync(dirname(scenarioJs), { recursive: true });
        writeFileSync(
          scenarioJs,
          transformSync(readFileSync(scenarioFile, 'utf8'), { loader: 'ts', format: 'esm', target: 'es2022' }).code,
        );
      }
    });
    afterEach(() => {
      for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });

    it('connects, echoes text and binary, and exits by itself after QUIT', async () => {
      const server = await wsServer(echo);
      const r = run(runtime, 'echo', server.url);
      expect(await r.exit(EXIT_MS)).to.equal(0);
      expect(r.statuses()).to.deep.equal(['CONNECTING', 'CONNECTED', 'DISCONNECTED']);
      const inputs = r.lines.filter((l) => l.t === 'input');
      expect(inputs[0]).to.include({ text: 'hello from the runtime' });
      expect(inputs[1]).to.deep.include({ bytes: [0, 1, 2, 255], uint8array: true });
      expect(r.lines.at(-1)).to.include({ t: 'complete' });
      const peer = await server.peer(1);
      expect(peer.frames.map((f) => `${f.binary ? 'b' : 't'}:${f.data.length}`)).to.deep.equal(['t:22', 'b:4']);
      await until(() => peer.closed !== undefined, 2000, 'the server to see the close');
      expect(peer.closed?.code).to.equal(1000);
    });

    it('keep-alive: a healthy connection that only answers pings stays up for many ping intervals', async () => {
      const server = await wsServer();
      const r = run(runtime, 'keepalive', server.url);
      expect(await r.exit(EXIT_MS)).to.equal(0);
      // 1.5 s at pingInterval 100 / pongTimeout 600: if pongs did not count, it would drop at 700 ms.
      expect(r.statuses()).to.deep.equal(['CONNECTING', 'CONNECTED', 'DISCONNECTED']);
      // At least one ping answered and one more sent (more once pings follow pingInterval after every pong).
      const peer = await server.peer(1);
      expect(peer.pings).to.be.at.least(2);
    });

    it('keep-alive: a silent peer (no pongs) is detected (PongTimeoutError), then the machine reconnects', async () => {
      // Only the first connection stays silent; the second answers its pings.
      const server = await wsServer(({ socket }, i) => i > 0 && socket.on('ping', (data: Buffer) => socket.pong(data)), {
        autoPong: false,
      });
      const r = run(runtime, 'silent', server.url);
      expect(await r.exit(EXIT_MS)).to.equal(0);
      expect(r.statuses()).to.deep.equal([
        'CONNECTING',
        'CONNECTED',
        'DISCONNECTED PongTimeoutError',
        'CONNECTING',
        'CONNECTED',
        'DISCONNECTED',
      ]);
      const statuses = r.lines.filter((l) => l.t === 'status');
      const took = statuses[2]!.at - statuses[1]!.at;
      expect(took, 'ms from CONNECTED to PongTimeoutError (pingInterval 100 + pongTimeout 150)').to.be.within(250 - 5, 2000);
      expect((await server.peer(1)).pings).to.equal(1);
    });

    it('a server restart: messages queued while it is down are delivered, in order, after the reconnect', async () => {
      const first = await wsServer(echo);
      const r = run(runtime, 'restart', first.url);
      await r.line((l) => l.state === 'CONNECTED', 'CONNECTED', EXIT_MS);
      await first.close();
      await r.line((l) => l.t === 'queued', 'the messages to be queued');
      const second = await wsServer(echo, { port: first.port });
      expect(await r.exit(EXIT_MS)).to.equal(0);
      const texts = r.lines.filter((l) => l.t === 'input').map((l) => l.text);
      expect(texts).to.deep.equal(['q1', 'q2', 'q3']);
      expect((await second.peer(1)).frames.map((f) => f.data.toString())).to.deep.equal(['q1', 'q2', 'q3']);
      const statuses = r.statuses();
      expect(statuses.slice(0, 3)).to.deep.equal(['CONNECTING', 'CONNECTED', 'DISCONNECTED CloseError']);
      expect(statuses.slice(-2)).to.deep.equal(['CONNECTED', 'DISCONNECTED']);
      expect(statuses.filter((s) => s === 'CONNECTED')).to.have.length(2);
    });
  });
}
