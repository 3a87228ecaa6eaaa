// Checks the package as users receive it: `npm pack`, lint the tarball (publint, attw), install it
// into a fresh project, run it from ESM and CommonJS against a local server, type-check a
// TypeScript consumer, and bundle it for the browser to prove no `ws` code gets in.
// Run: npm run check:package   (KEEP=1 keeps the temp directory for inspection)
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { WS_MARKERS } from '../spec/support/chromium.js';

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name: string): string => join(root, 'node_modules', '.bin', name);
const work = mkdtempSync(join(tmpdir(), 'ws-machine-pkg-'));
const started = Date.now();
const failures: string[] = [];

function step(name: string, ok: boolean, detail = ''): void {
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? ` (${detail})` : ''} [${secs}s]`);
  if (!ok) failures.push(name);
}

/** Runs a command; its output is returned and also shown when it fails. */
async function sh(cmd: string, args: string[], cwd: string): Promise<{ ok: boolean; out: string; stdout?: string }> {
  try {
    const { stdout, stderr } = await run(cmd, args, { cwd, timeout: 60_000, maxBuffer: 16 << 20 });
    return { ok: true, out: stdout + stderr, stdout };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    const out = `${err.stdout ?? ''}${err.stderr ?? ''}` || err.message;
    return { ok: false, out };
  }
}

// A consumer that exercises the runtime: connect to a local echo server, echo one message, QUIT,
// and see the server get close code 1000. It must then exit on its own: a left-over timer,
// listener or socket keeps the process alive and the parent reports a timeout.
function consumer(kind: 'esm' | 'cjs'): string {
  const imports =
    kind === 'esm'
      ? `import { Machine, State, Command } from 'ws-machine';\nimport { WebSocketServer } from 'ws';`
      : `const { Machine, State, Command } = require('ws-machine');\nconst { WebSocketServer } = require('ws');`;
  return `${imports}
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
const closeCode = new Promise((res) => {
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    ws.on('close', (code) => res(code));
  });
});
wss.on('listening', () => {
  const m = new Machine('ws://127.0.0.1:' + wss.address().port, { pingInterval: 0 });
  const states = [];
  let echoed;
  m.input$.subscribe((msg) => { echoed = msg; m.command.next(Command.QUIT); });
  m.state$.subscribe({
    next: (s) => {
      states.push(s.state);
      if (s.state === State.CONNECTED) m.output.next('hi');
    },
    complete: async () => {
      const code = await closeCode;
      wss.close();
      const bytes = echoed instanceof Uint8Array ? Array.from(echoed) : echoed;
      console.log(JSON.stringify({ states, code, bytes, quit: Command.QUIT === 'QUIT' }));
    },
  });
});
`;
}

const expectedRun = JSON.stringify({
  states: ['CONNECTING', 'CONNECTED', 'DISCONNECTED'],
  code: 1000,
  bytes: [104, 105], // 'hi' sent as a binary frame, the default format
  quit: true,
});

function runNode(file: string, cwd: string): Promise<{ ok: boolean; out: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [file], { cwd });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      done({ ok: false, out: `${out}\n(did not exit within 10 s: something was left running)` });
    }, 10_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      done({ ok: code === 0 && out.trim() === expectedRun, out: out.trim() });
    });
  });
}

const tsConsumer = `import { Machine, State, Command, type Status, type Message, type MachineOptions } from 'ws-machine';

const options: MachineOptions = { format: 'text', pingInterval: 0, maxQueue: 10, retryDelay: (n: number) => n * 100 };
const machine = new Machine('ws://127.0.0.1:1', options);
const url: string = machine.url;
const connected: State = State.CONNECTED;
const quit: Command = Command.QUIT;
machine.state$.subscribe((s: Status) => {
  const state: State = s.state;
  const delay: number | undefined = s.delay;
  const error: Error | undefined = s.error;
  return [state, delay, error, url, connected];
});
machine.input$.subscribe((m: Message) => (typeof m === 'string' ? m.length : m.byteLength));
machine.dropped$.subscribe((m: Message) => m);
machine.output.next(new Uint8Array([1]));
machine.output.next('text');
machine.command.next(quit);
// @ts-expect-error not a state
const notAState: State = 'OPEN';
// @ts-expect-error not a command
machine.command.next('STOP');
export { notAState };
`;

async function main(): Promise<void> {
  // 1. pack (npm runs the "prepack" script, so dist is built fresh)
  const packed = await sh('npm', ['pack', '--json', '--pack-destination', work], root);
  if (!packed.ok) throw new Error(`npm pack failed:\n${packed.out}`);
  // The build's own output may come first; the JSON report is the rest, from a line that is "[".
  const json = packed.stdout!.slice(packed.stdout!.search(/^\[$/m));
  const info = JSON.parse(json) as {
    filename: string;
    size: number;
    files: { path: string }[];
  }[];
  const pack = info[0]!;
  const tgz = join(work, pack.filename);
  const paths = pack.files.map((f) => f.path);
  const stray = paths.filter((p) => !/^(dist\/|package\.json$|README\.md$|LICENSE$)/.test(p));
  step(
    'npm pack',
    stray.length === 0,
    `${paths.length} files, ${(pack.size / 1024).toFixed(1)} kB${stray.length ? `; unexpected: ${stray.join(', ')}` : ''}`,
  );
  // Source maps would point at lib/*.ts, which is not shipped: the package carries none.
  const maps = paths.filter((p) => p.endsWith('.map'));
  step('no source maps (their sources are not shipped)', maps.length === 0, maps.length ? maps.slice(0, 3).join(', ') : '');
  // A user who finds the package on the registry can reach the repository, its docs and its issues.
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, unknown>;
  const links = ['repository', 'homepage', 'bugs'].filter((key) => manifest[key] === undefined);
  step('package.json names repository, homepage and bugs', links.length === 0, links.length ? `missing: ${links.join(', ')}` : '');

  // 2. linters on the tarball, and a fresh project with the tarball installed, side by side
  const app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, version: '1.0.0' }));
  const [publint, attw, install] = await Promise.all([
    sh(bin('publint'), ['run', tgz, '--strict'], work),
    sh(bin('attw'), [tgz, '--format', 'table-flipped', '--no-emoji', '--no-color'], work),
    sh('npm', ['install', '--offline', '--no-audit', '--no-fund', '--no-package-lock', tgz, 'rxjs@^7.8', 'ws@^8'], app),
  ]);
  step('publint --strict', publint.ok);
  console.log(indent(publint.out));
  step('attw', attw.ok);
  console.log(indent(attw.out));
  if (!install.ok) {
    // Offline install can miss a cache entry; the repository's own copies are the same versions.
    console.log(indent(`offline install failed, linking rxjs and ws from the repository instead:\n${install.out}`));
    const pkgDir = join(app, 'node_modules', 'ws-machine');
    mkdirSync(pkgDir, { recursive: true });
    await sh('tar', ['-xzf', tgz, '-C', pkgDir, '--strip-components=1'], app);
    for (const dep of ['rxjs', 'ws']) symlinkSync(join(root, 'node_modules', dep), join(app, 'node_modules', dep));
  }
  step(
    'install tarball into a fresh project',
    existsSync(join(app, 'node_modules', 'ws-machine', 'package.json')),
    install.ok ? 'npm install --offline' : 'fallback: extracted + linked',
  );

  // 3. runtime from ESM and CommonJS, TypeScript consumers, browser bundle: independent of each other
  writeFileSync(join(app, 'esm.mjs'), consumer('esm'));
  writeFileSync(join(app, 'cjs.cjs'), consumer('cjs'));
  writeFileSync(join(app, 'consumer.mts'), tsConsumer);
  writeFileSync(join(app, 'consumer.cts'), tsConsumer);
  writeFileSync(join(app, 'browser.ts'), tsConsumer);
  const strict = { strict: true, noEmit: true, skipLibCheck: false, target: 'es2022' };
  // Node consumer: nodenext resolution reads the "import" and "require" conditions.
  writeFileSync(
    join(app, 'tsconfig.node.json'),
    JSON.stringify({
      compilerOptions: {
        ...strict,
        module: 'nodenext',
        moduleResolution: 'nodenext',
        lib: ['es2022'],
        types: ['node'],
        typeRoots: [join(root, 'node_modules', '@types')],
      },
      files: ['consumer.mts', 'consumer.cts'],
    }),
  );
  // Browser consumer as a bundler-based app sees it: "browser" condition, DOM, no Node types.
  writeFileSync(
    join(app, 'tsconfig.browser.json'),
    JSON.stringify({
      compilerOptions: {
        ...strict,
        module: 'esnext',
        moduleResolution: 'bundler',
        customConditions: ['browser'],
        lib: ['es2022', 'dom'],
        types: [],
      },
      files: ['browser.ts'],
    }),
  );
  writeFileSync(
    join(app, 'entry.js'),
    `import { Machine, State, Command } from 'ws-machine';\nglobalThis.wsm = { Machine, State, Command };\n`,
  );
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const [esm, cjs, tsNode, tsBrowser, bundle] = await Promise.all([
    runNode('esm.mjs', app),
    runNode('cjs.cjs', app),
    sh(process.execPath, [tsc, '-p', 'tsconfig.node.json'], app),
    sh(process.execPath, [tsc, '-p', 'tsconfig.browser.json'], app),
    browserBundle(app),
  ]);
  step("import { Machine, State, Command } from 'ws-machine' (ESM run)", esm.ok, esm.ok ? 'connect, echo, QUIT 1000, clean exit' : esm.out);
  step("require('ws-machine') (CJS run)", cjs.ok, cjs.ok ? 'connect, echo, QUIT 1000, clean exit' : cjs.out);
  step('TypeScript consumer, nodenext ESM + CJS', tsNode.ok);
  if (!tsNode.ok) console.log(indent(tsNode.out));
  step('TypeScript consumer, bundler + browser condition, no Node types', tsBrowser.ok);
  if (!tsBrowser.ok) console.log(indent(tsBrowser.out));
  step('esbuild browser bundle has no ws', bundle.ok, bundle.detail);
}

// Bundles the installed package the way a browser app would and looks for any trace of `ws`.
async function browserBundle(app: string): Promise<{ ok: boolean; detail: string }> {
  const result = await build({
    entryPoints: [join(app, 'entry.js')],
    absWorkingDir: app,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    minify: false,
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]!.text;
  const inputs = Object.keys(result.metafile.inputs);
  const wsInputs = inputs.filter((p) => p.includes('node_modules/ws/'));
  const found = WS_MARKERS.filter((m) => code.includes(m));
  const ours = inputs.filter((p) => p.includes('node_modules/ws-machine/'));
  const browserEntry = ours.some((p) => p.endsWith('index.browser.js'));
  const ok = wsInputs.length === 0 && found.length === 0 && browserEntry;
  const detail = ok
    ? `${(code.length / 1024).toFixed(1)} kB unminified, ${ours.length} ws-machine files via the browser entry`
    : `ws inputs: [${wsInputs.join(', ')}], markers: [${found.join(', ')}], browser entry used: ${browserEntry}`;
  return { ok, detail };
}

function indent(text: string): string {
  return text
    .trim()
    .split('\n')
    .map((l) => `     ${l}`)
    .join('\n');
}

try {
  await main();
} catch (e) {
  failures.push('crash');
  console.error(e);
} finally {
  if (process.env.KEEP) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
const secs = ((Date.now() - started) / 1000).toFixed(1);
if (failures.length) {
  console.error(`check:package FAILED (${failures.join('; ')}) in ${secs}s`);
  process.exitCode = 1;
} else {
  console.log(`check:package passed in ${secs}s`);
}
