// Type-checks every TypeScript snippet a user reads: the ```ts blocks of README.md and docs/*.md,
// and the ```ts blocks of TSDoc @example tags in lib/. Each snippet becomes a module of a temporary
// project (.tmp/check-docs/) whose `ws-machine` is the BUILT package (a symlink to this repository,
// so the package's "exports" and dist/ types are what resolve), and one TypeScript program checks
// them all. A snippet may use placeholders (`url`, `machine`, `scheduler` …: see PLACEHOLDERS) and
// names it does not import when they are exports of ws-machine, ws-machine/testing, rxjs, chai or
// the mocha globals (an @example shows one call, not its imports): those imports are added.
// A block fenced as ```ts nocheck is skipped (use sparingly: for a fragment that cannot compile);
// one fenced as ```ts file=NAME.ts can be imported by the other blocks of its page as './NAME.js'.
//
//   npm run check:docs              builds dist/ first when it is older than lib/ (or missing)
//   npm run check:docs -- --build   builds dist/ first in any case
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const work = join(root, '.tmp', 'check-docs');
const started = Date.now();

interface Snippet {
  /** Where the block starts (the line after the opening fence), for reports. */
  readonly file: string;
  readonly line: number;
  readonly code: string;
  /** The module name a ```ts file=NAME.ts block asks for: other blocks of its page import it as ./NAME.js. */
  readonly name?: string;
  /** The module written for it, relative to `work`. */
  readonly module: string;
}

// Placeholders for the reader's own values: declared in a snippet that uses the name without
// declaring it. (In the snippet's module, so that they shadow the DOM's globals, e.g. `scheduler`.)
const PLACEHOLDERS: Record<string, string> = {
  url: 'const url: string',
  machine: "const machine: import('ws-machine').Machine",
  scheduler: "const scheduler: import('rxjs/testing').TestScheduler",
  testScheduler: "const testScheduler: import('rxjs/testing').TestScheduler",
  server: "const server: import('ws-machine/testing').FakeServer",
  socket: "const socket: import('ws-machine/testing').FakeWebSocket",
  connection: "const connection: import('ws-machine/testing').FakeConnection",
  source$: "const source$: import('rxjs').Observable<string>",
  token: 'const token: string',
  session: 'const session: { token: string }',
  auth: 'const auth: { token(): Promise<string>; freshToken(): Promise<string> }',
  onText: 'function onText(text: string): void',
  onBytes: 'function onBytes(bytes: Uint8Array): void',
};

/** The placeholder declarations a snippet needs: names it uses and does not declare or import. */
function placeholders(code: string): string[] {
  return Object.entries(PLACEHOLDERS)
    .filter(([name]) => {
      const id = name.replace('$', '\\$');
      const used = new RegExp(`(^|[^.\\w$])${id}(?![\\w$])`).test(code);
      const declared = new RegExp(
        `\\b(const|let|var|function|class|import)\\s+(type\\s+)?${id}(?![\\w$])|import[^;]*[{,\\s]${id}[\\s,}]`,
      ).test(code);
      return used && !declared;
    })
    .map(([, declaration]) => `declare ${declaration};`);
}

/** Modules whose exports a snippet may use without importing them, in order of preference. */
const AUTO_IMPORT = ['ws-machine', 'ws-machine/testing', 'rxjs', 'rxjs/testing', 'chai', 'node:fs'];

// ---------------------------------------------------------------------------------------------
// Extraction

function fenced(file: string, text: string, lineOffset = 0): Omit<Snippet, 'module'>[] {
  const found: Omit<Snippet, 'module'>[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^\s*```(ts|typescript)\b(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^\s*```\s*$/.test(lines[end]!)) end++;
    const name = /\bfile=([\w.-]+\.ts)\b/.exec(open[2]!)?.[1];
    if (!/\bnocheck\b/.test(open[2]!))
      found.push({ file, line: lineOffset + start + 1, code: lines.slice(start, end).join('\n'), ...(name ? { name } : {}) });
    i = end;
  }
  return found;
}

function markdown(file: string): Omit<Snippet, 'module'>[] {
  return fenced(file, readFileSync(join(root, file), 'utf8'));
}

/** The ```ts blocks inside @example tags of the TSDoc comments of a source file. */
function tsdoc(file: string): Omit<Snippet, 'module'>[] {
  const text = readFileSync(join(root, file), 'utf8');
  const found: Omit<Snippet, 'module'>[] = [];
  for (const comment of text.matchAll(/\/\*\*[\s\S]*?\*\//g)) {
    if (!comment[0].includes('@example')) continue;
    const firstLine = text.slice(0, comment.index).split('\n').length - 1;
    // Strip the comment's frame (` * `) line by line, keeping the line count.
    const body = comment[0]
      .split('\n')
      .map((l) =>
        l
          .replace(/^\s*\/\*\*\s?/, '')
          .replace(/\s*\*\/\s*$/, '')
          .replace(/^\s*\* ?/, ''),
      )
      .join('\n');
    const example = body.indexOf('@example');
    const before = body.slice(0, example).split('\n').length - 1;
    found.push(...fenced(file, body.slice(example), firstLine + before));
  }
  return found;
}

function sources(): string[] {
  const list = [
    'README.md',
    ...readdirSync(join(root, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
  ];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) list.push(path);
    }
  };
  walk('lib');
  return list;
}

// ---------------------------------------------------------------------------------------------
// The temporary project

function setUp(snippets: Omit<Snippet, 'module'>[]): Snippet[] {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(join(work, 'snippets'), { recursive: true });
  mkdirSync(join(work, 'node_modules'), { recursive: true });
  // The package as a user gets it: its package.json "exports" and dist/. Everything else
  // (rxjs, chai, @types) resolves from the repository's node_modules further up.
  symlinkSync(root, join(work, 'node_modules', 'ws-machine'), 'dir');
  writeFileSync(join(work, 'package.json'), JSON.stringify({ name: 'docs-snippets', private: true, type: 'module' }));
  // One directory per page, so that a page's blocks can import its named ones.
  return snippets.map((s) => {
    const dir = `snippets/${s.file.replace(/[^A-Za-z0-9]+/g, '_')}`;
    mkdirSync(join(work, dir), { recursive: true });
    return { ...s, module: `${dir}/${s.name ?? `line_${s.line}.ts`}` };
  });
}

function write(snippet: Snippet, imports: Map<string, string[]>): void {
  // Added lines go after the snippet, so that its line numbers stay as they are (imports hoist).
  const added = [...imports].map(([from, names]) => `import { ${names.join(', ')} } from '${from}';`);
  added.push(...placeholders(snippet.code));
  writeFileSync(join(work, snippet.module), `${snippet.code}\n${added.join('\n')}\nexport {};\n`);
}

const options: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
  types: ['node', 'mocha'],
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  experimentalDecorators: false,
};

let previous: ts.Program | undefined;
function check(snippets: Snippet[]): ts.Diagnostic[] {
  // The second pass reuses what the first one parsed (the libraries' declarations above all).
  previous = ts.createProgram(
    snippets.map((s) => join(work, s.module)),
    options,
    undefined,
    previous,
  );
  return [...ts.getPreEmitDiagnostics(previous)];
}

/** The names each auto-import module exports (values and types). */
function exportsOf(): Map<string, string> {
  const probe = join(work, 'exports.ts');
  writeFileSync(probe, AUTO_IMPORT.map((m, i) => `import * as m${i} from '${m}';\nexport { m${i} };`).join('\n'));
  const program = ts.createProgram([probe], options);
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(probe)!;
  const owner = new Map<string, string>();
  ts.forEachChild(source, (node) => {
    if (!ts.isImportDeclaration(node)) return;
    const module = (node.moduleSpecifier as ts.StringLiteral).text;
    const symbol = checker.getSymbolAtLocation(node.moduleSpecifier);
    if (!symbol) return;
    for (const name of checker.getExportsOfModule(symbol).map((e) => e.name))
      if (!owner.has(name) && name !== 'default') owner.set(name, module);
  });
  rmSync(probe);
  return owner;
}

// ---------------------------------------------------------------------------------------------

function main(): number {
  const buildArgs = process.argv.includes('--build') ? [] : ['--if-stale'];
  execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs'), ...buildArgs], { cwd: root, stdio: 'inherit' });
  const snippets = setUp(sources().flatMap((file) => (file.endsWith('.md') ? markdown(file) : tsdoc(file))));
  const owner = exportsOf();
  const byModule = new Map(snippets.map((s) => [join(work, s.module), s]));
  const imports = new Map<Snippet, Map<string, string[]>>(snippets.map((s) => [s, new Map()]));
  for (const s of snippets) write(s, new Map());

  // First pass: names a snippet uses without importing them, where a known module exports them.
  for (const d of check(snippets)) {
    const snippet = d.file && byModule.get(d.file.fileName);
    if (!snippet || (d.code !== 2304 && d.code !== 2552 && d.code !== 2662 && d.code !== 2582)) continue;
    const name = /'([^']+)'/.exec(ts.flattenDiagnosticMessageText(d.messageText, '\n'))?.[1];
    const from = name && owner.get(name);
    if (!name || !from) continue;
    const list = imports.get(snippet)!;
    const names = list.get(from) ?? [];
    if (!names.includes(name)) names.push(name);
    list.set(from, names);
  }
  for (const s of snippets) write(s, imports.get(s)!);

  // Second pass: what is left is what a reader would hit.
  const failures = new Map<Snippet, string[]>();
  for (const d of check(snippets)) {
    const snippet = d.file && byModule.get(d.file.fileName);
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (!snippet) {
      const where = d.file ? relative(root, d.file.fileName) : 'tsc';
      console.log(`FAIL ${where}: TS${d.code} ${message}`);
      failures.set({ file: where, line: 0, code: '', module: '' }, []);
      continue;
    }
    const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
    const list = failures.get(snippet) ?? [];
    list.push(`${snippet.file}:${snippet.line + line}: TS${d.code} ${message.split('\n').join('\n      ')}`);
    failures.set(snippet, list);
  }
  for (const [snippet, errors] of failures) {
    if (!snippet.module) continue;
    console.log(`FAIL snippet at ${snippet.file}:${snippet.line}`);
    for (const e of errors) console.log(`      ${e}`);
  }
  const files = new Set(snippets.map((s) => s.file));
  const failed = failures.size;
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`check:docs: ${snippets.length} snippets from ${files.size} files type-checked against the built package in ${secs} s`);
  console.log(`check:docs: ${snippets.length - failed} passed, ${failed} failed`);
  return failed;
}

process.exitCode = main() > 0 ? 1 : 0;
