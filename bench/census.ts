// Heap census: what one more idle connection leaves on the JS heap, object by object.
//
//   npm run bench:census                      ws-machine, raw ws and every peer, 300 connections
//   npm run bench:census -- --n=500 --libs=ws-machine --write=after
//
// For each library, a fresh process (bench/fleet.ts) opens `warm` connections (one-off costs:
// code compiled, buffers grown), takes a heap snapshot, opens `n` more, takes another. The two
// snapshots are diffed by kind of object (constructor name; closures and their contexts by the
// function's name and source location), and the difference is divided by `n`: count and bytes per
// connection. Self sizes only (what each object itself takes), so rows add up to the total.
//
// --write=before|after puts the ws-machine and raw ws tables in bench/RESULTS.md between the
// markers <!-- census:before:start/end --> (or after); bench/run.ts keeps those blocks when it
// rewrites the file. Otherwise the report goes to stdout and bench/.out/census.md.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { LIBS, type Lib } from './adapters.js';
import { spawn, type Child } from './ipc.js';
import { compileChildren, ensureBuild, log, revision, ROOT, snapshotBuild } from './prepare.js';

export interface Row {
  key: string;
  count: number;
  bytes: number;
}

export interface Census {
  lib: Lib;
  n: number;
  /** Per connection, from the snapshots (self sizes). */
  rows: Row[];
  totalBytes: number;
  totalCount: number;
  /** Heap growth per connection from process.memoryUsage() (RSS is not: a snapshot grows it). */
  heap: number;
}

interface Snapshot {
  snapshot: {
    meta: {
      node_fields: string[];
      node_types: [string[], ...unknown[]];
      edge_fields: string[];
      edge_types: [string[], ...unknown[]];
      location_fields?: string[];
    };
  };
  nodes: number[];
  edges: number[];
  strings: string[];
  locations?: number[];
}

/** Shortens a script URL to the package and file a reader recognises. */
function where(url: string | undefined): string {
  if (!url) return '?';
  const path = url.replace(/^file:\/\//, '');
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) return path.slice(nm + '/node_modules/'.length).replace(/\/dist\/(esm5?|cjs|esm)\/internal\//, '/');
  const dist = /(?:ws-machine-dist|dist\/esm)\/(.*)$/.exec(path);
  if (dist) return `ws-machine/${dist[1]}`;
  const bench = /bench\/(?:\.out\/js\/)?([^/]*)$/.exec(path);
  if (bench) return `bench/${bench[1]}`;
  return path.startsWith('node:') ? path : path.split('/').slice(-2).join('/');
}

/** Counts and bytes by kind of object in one heap snapshot. */
export function tally(file: string, scripts: Record<string, string>): Map<string, Row> {
  const s = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const meta = s.snapshot.meta;
  const nf = meta.node_fields.length;
  const ef = meta.edge_fields.length;
  const [TYPE, NAME, SIZE, EDGES] = ['type', 'name', 'self_size', 'edge_count'].map((f) => meta.node_fields.indexOf(f)) as [
    number,
    number,
    number,
    number,
  ];
  const [ETYPE, ENAME, ETO] = ['type', 'name_or_index', 'to_node'].map((f) => meta.edge_fields.indexOf(f)) as [number, number, number];
  const types = meta.node_types[0];
  const etypes = meta.edge_types[0];
  const { nodes, edges, strings } = s;

  // Where each closure was written: node offset → "file:line".
  const located = new Map<number, string>();
  const loc = s.locations ?? [];
  const lf = meta.location_fields?.length ?? 4;
  for (let i = 0; i < loc.length; i += lf) {
    located.set(loc[i]!, `${where(scripts[String(loc[i + 1])])}:${loc[i + 2]! + 1}`);
  }
  const closureKey = (offset: number) => {
    // An empty name is as anonymous as a missing one.
    const raw = strings[nodes[offset + NAME]!];
    const name = raw === undefined || raw === '' ? '(anonymous)' : raw;
    return `closure ${name} @ ${located.get(offset) ?? '?'}`;
  };

  // Who holds each node first (a strong edge), so that plain arrays, element stores and contexts
  // can be named after their owner: "Array ← Subject.observers".
  const count = nodes.length / nf;
  const holder = new Int32Array(count).fill(-1);
  const via = new Array<string>(count);
  let e = 0;
  for (let i = 0; i < nodes.length; i += nf) {
    const edgeCount = nodes[i + EDGES]!;
    const fromType = types[nodes[i + TYPE]!];
    if (fromType !== 'synthetic') {
      for (let j = e; j < e + edgeCount * ef; j += ef) {
        const et = etypes[edges[j + ETYPE]!];
        if (et === 'weak' || et === 'shortcut') continue;
        const to = edges[j + ETO]! / nf;
        if (holder[to] !== -1) continue;
        holder[to] = i;
        via[to] = et === 'element' || et === 'hidden' ? `[${edges[j + ENAME]}]` : strings[edges[j + ENAME]!]!;
      }
    }
    e += edgeCount * ef;
  }
  // Property names of a plain object, in order: its shape says what made it.
  const firstEdge = new Uint32Array(count);
  for (let i = 0, at = 0; i < count; i++) {
    firstEdge[i] = at;
    at += nodes[i * nf + EDGES]! * ef;
  }
  const props = (offset: number, max: number) => {
    const names: string[] = [];
    const at = firstEdge[offset / nf]!;
    for (let j = at; j < at + nodes[offset + EDGES]! * ef; j += ef) {
      if (etypes[edges[j + ETYPE]!] !== 'property') continue;
      const name = strings[edges[j + ENAME]!]!;
      if (name !== '__proto__') names.push(name);
    }
    return names.length > max ? `{${names.slice(0, max).join(', ')}, …}` : `{${names.join(', ')}}`;
  };

  /** A short name for a node, used for its own row and (shorter) for the nodes it holds. */
  const named = (offset: number, depth: number): string => {
    const type = types[nodes[offset + TYPE]!]!;
    const name = strings[nodes[offset + NAME]!] ?? '';
    const h = holder[offset / nf]!;
    const edge = via[offset / nf];
    const owner = () => (h < 0 || depth > 2 ? '?' : `${named(h, depth + 1)}.${edge}`);
    switch (type) {
      case 'closure':
        return closureKey(offset);
      case 'string':
      case 'concatenated string':
      case 'sliced string':
        return '(strings)';
      case 'number':
        return '(heap numbers)';
      case 'code':
        return `(code) ${name.startsWith('system / ') ? name.slice(9) : 'compiled code'}`;
      case 'object':
        if (name === 'system / Context') {
          if (h >= 0 && edge === 'context' && types[nodes[h + TYPE]!] === 'closure') return `context of ${closureKey(h)}`;
          return depth > 1 ? 'context' : `context ← ${owner()}`;
        }
        if (name === 'Object') return `Object ${props(offset, depth ? 3 : 6)}`;
        if (name === 'Array') return depth > 1 ? 'Array' : `Array ← ${owner()}`;
        return name;
      case 'array':
        if (depth > 1) return name;
        // An object's element or property store: named after the object that owns it.
        if (h >= 0 && (edge === 'elements' || edge === 'properties')) return `${name} of ${named(h, depth + 1)}`;
        return `${name} ← ${owner()}`;
      case 'object shape':
        return '(object shapes: hidden classes)';
      default:
        return `(${type}) ${name.length > 60 ? `${name.slice(0, 57)}…` : name}`;
    }
  };

  const rows = new Map<string, Row>();
  for (let i = 0; i < nodes.length; i += nf) {
    const key = named(i, 0);
    let row = rows.get(key);
    if (!row) rows.set(key, (row = { key, count: 0, bytes: 0 }));
    row.count++;
    row.bytes += nodes[i + SIZE]!;
  }
  return rows;
}

/** The growth from one snapshot to the other, per connection. */
export function diff(before: Map<string, Row>, after: Map<string, Row>, n: number): Row[] {
  const keys = new Set([...before.keys(), ...after.keys()]);
  const out: Row[] = [];
  for (const key of keys) {
    const a = before.get(key) ?? { count: 0, bytes: 0 };
    const b = after.get(key) ?? { count: 0, bytes: 0 };
    out.push({ key, count: (b.count - a.count) / n, bytes: (b.bytes - a.bytes) / n });
  }
  return out.sort((x, y) => y.bytes - x.bytes);
}

const num = (v: number, digits = 2) => (Math.abs(v) < 0.005 ? '0' : digits ? v.toFixed(digits).replace(/\.?0+$/, '') : v.toFixed(0));
const esc = (s: string) => s.replace(/\|/g, '\\|');

/** One library's top rows. */
export function libTable(c: Census, top: number): string[] {
  const out = [`| ${c.lib}: object (constructor; closure @ file:line) | count/conn | bytes/conn | share |`, '|---|---|---|---|'];
  for (const r of c.rows.slice(0, top)) {
    out.push(`| ${esc(r.key)} | ${num(r.count)} | ${num(r.bytes, 0)} | ${((r.bytes / c.totalBytes) * 100).toFixed(1)} % |`);
  }
  const rest = c.rows.slice(top).reduce((a, r) => ({ count: a.count + r.count, bytes: a.bytes + r.bytes }), { count: 0, bytes: 0 });
  out.push(`| everything else | ${num(rest.count)} | ${num(rest.bytes, 0)} | ${((rest.bytes / c.totalBytes) * 100).toFixed(1)} % |`);
  out.push(`| **total** | **${num(c.totalCount, 1)}** | **${num(c.totalBytes, 0)}** | |`);
  return out;
}

/** What `lib` has per connection over raw ws, kind by kind. */
export function extraTable(c: Census, raw: Census, top: number): string[] {
  const rawBy = new Map(raw.rows.map((r) => [r.key, r]));
  const mineBy = new Map(c.rows.map((r) => [r.key, r]));
  const keys = new Set([...mineBy.keys(), ...rawBy.keys()]);
  const rows = [...keys]
    .map((key) => {
      const m = mineBy.get(key) ?? { key, count: 0, bytes: 0 };
      const r = rawBy.get(key) ?? { key, count: 0, bytes: 0 };
      return { key, m, r, extra: m.bytes - r.bytes };
    })
    .sort((a, b) => b.extra - a.extra);
  const out = [
    `| object | ${c.lib} count/conn | ${c.lib} bytes/conn | raw ws count/conn | raw ws bytes/conn | extra bytes/conn |`,
    '|---|---|---|---|---|---|',
  ];
  for (const x of rows.slice(0, top)) {
    out.push(
      `| ${esc(x.key)} | ${num(x.m.count)} | ${num(x.m.bytes, 0)} | ${num(x.r.count)} | ${num(x.r.bytes, 0)} | ${num(x.extra, 0)} |`,
    );
  }
  out.push(
    `| **total** | **${num(c.totalCount, 1)}** | **${num(c.totalBytes, 0)}** | **${num(raw.totalCount, 1)}** | **${num(raw.totalBytes, 0)}** | **${num(c.totalBytes - raw.totalBytes, 0)}** |`,
  );
  return out;
}

export function summaryTable(all: Census[]): string[] {
  const raw = all.find((c) => c.lib === 'ws');
  const out = [
    '| library | objects/conn | heap bytes/conn (snapshot) | ratio to raw ws | heap growth/conn (memoryUsage) |',
    '|---|---|---|---|---|',
  ];
  for (const c of all) {
    const ratio = raw ? (c.totalBytes / raw.totalBytes).toFixed(2) : '—';
    out.push(`| ${c.lib} | ${num(c.totalCount, 1)} | ${num(c.totalBytes, 0)} | ${ratio} | ${(c.heap / 1024).toFixed(2)} KiB |`);
  }
  return out;
}

export interface CensusOptions {
  base: string;
  server: Child;
  libs: Lib[];
  n: number;
  warm: number;
  machineOptions?: Record<string, unknown>;
  keep?: boolean;
}

/** Runs the census for every library, one fresh process each. */
export async function census(o: CensusOptions): Promise<Census[]> {
  const dir = `${ROOT}bench/.out/census`;
  mkdirSync(dir, { recursive: true });
  const out: Census[] = [];
  for (const lib of o.libs) {
    log(`census: ${lib} (${o.warm} + ${o.n} connections)`);
    const f = spawn('fleet', [], `census:${lib}`, ['--expose-gc']);
    try {
      const res = await f.call<{ snapshots: [string, string]; n: number; heap: number; reopened: number; scripts: Record<string, string> }>(
        'census',
        {
          lib,
          url: `${o.base}/idle`,
          n: o.n,
          warm: o.warm,
          window: 1000,
          settleMs: 500,
          options: lib === 'ws-machine' ? o.machineOptions : undefined,
          dir,
        },
        180_000,
      );
      if (res.reopened) log(`  ${lib}: ${res.reopened} connections reopened during the census`);
      const rows = diff(tally(res.snapshots[0], res.scripts), tally(res.snapshots[1], res.scripts), res.n);
      if (!o.keep) for (const file of res.snapshots) rmSync(file, { force: true });
      const totalBytes = rows.reduce((a, r) => a + r.bytes, 0);
      const totalCount = rows.reduce((a, r) => a + r.count, 0);
      out.push({ lib, n: res.n, rows, totalBytes, totalCount, heap: res.heap });
    } finally {
      await f.stop(2000);
      await quiet(o.server);
    }
  }
  return out;
}

async function quiet(server: Child): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const { connections } = await server.call<{ connections: number }>('stats');
    if (connections === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  await server.call('destroyAll');
}

/** The census report: summary for every library, ws-machine and raw ws in detail, ws-machine over raw ws. */
export function censusReport(all: Census[], top: number, heading: string, measured: string): string[] {
  const mine = all.find((c) => c.lib === 'ws-machine');
  const raw = all.find((c) => c.lib === 'ws');
  const n = all[0]?.n ?? 0;
  const out = [
    heading,
    '',
    `ws-machine ${measured}; ${n.toLocaleString('en')} idle connections per library after a warm-up batch, heap snapshots before and after, diffed by kind of object and divided by ${n.toLocaleString('en')}. Self sizes (each object alone), so rows add up to the total; strings, heap numbers and hidden classes are one row each. A closure is named by its function and where it was written; a context (the variables closures keep alive) by the first closure that holds it.`,
    '',
    ...summaryTable(all),
  ];
  if (mine && raw) out.push('', `#### ws-machine over raw ws, top ${top} by extra bytes per connection`, '', ...extraTable(mine, raw, top));
  for (const c of [mine, raw]) if (c) out.push('', `#### ${c.lib}, top ${top} by bytes per connection`, '', ...libTable(c, top));
  return out;
}

/** Replaces the block between `<!-- census:NAME:start -->` and its end marker (appends it when missing). */
export function writeBlock(file: string, name: string, lines: string[]): void {
  const start = `<!-- census:${name}:start -->`;
  const end = `<!-- census:${name}:end -->`;
  const text = readFileSync(file, 'utf8');
  const block = [start, ...lines, end].join('\n');
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  const next = i >= 0 && j > i ? text.slice(0, i) + block + text.slice(j + end.length) : `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, next);
}

async function main(): Promise<void> {
  const { values: argv } = parseArgs({
    options: {
      n: { type: 'string', default: '300' },
      warm: { type: 'string', default: '100' },
      libs: { type: 'string' },
      top: { type: 'string', default: '15' },
      write: { type: 'string' },
      keep: { type: 'boolean', default: false },
      build: { type: 'boolean', default: false },
    },
  });
  const libs = argv.libs ? LIBS.filter((l) => l === 'ws' || argv.libs!.split(',').includes(l)) : [...LIBS];
  if (libs.includes('ws-machine')) {
    ensureBuild(argv.build);
    snapshotBuild();
  }
  const measured = revision();
  await compileChildren();
  const server = spawn('server', [], 'server');
  const { port } = await server.call<{ port: number }>('port', {}, 30_000);
  const all = await census({
    base: `ws://127.0.0.1:${port}`,
    server,
    libs,
    n: Number(argv.n),
    warm: Number(argv.warm),
    keep: argv.keep,
  });
  await server.stop(2000);
  const top = Number(argv.top);
  const title = argv.write ? `### Heap census ${argv.write === 'before' ? 'before' : 'after'} issue 12` : '### Heap census';
  const lines = censusReport(all, top, title, `commit ${measured}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  const file = `${ROOT}bench/.out/census.md`;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${lines.join('\n')}\n`);
  log(`wrote ${file}`);
  if (argv.write) {
    writeBlock(`${ROOT}bench/RESULTS.md`, argv.write, lines);
    log(`wrote the census:${argv.write} block of bench/RESULTS.md`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().then(
    () => process.exit(0),
    (e: unknown) => {
      log(`failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      process.exit(1);
    },
  );
}
