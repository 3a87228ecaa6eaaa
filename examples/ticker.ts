/**
 * ticker: a live price feed on per-symbol channels, aggregated with RxJS operators, that keeps
 * going while its server restarts.
 *
 *   npx tsx examples/ticker.ts [--seconds 6]        (or: npm run example:ticker)
 *
 * A local server streams prices (one JSON text frame per subscribed symbol every 50 ms, a random
 * walk) to each client for the symbols it subscribed to. The client speaks JSON through the `json()`
 * codec and joins one channel per symbol; it cuts the ticks into 1 s windows, groups each window by
 * symbol and prints count/min/max/avg/last per symbol. Part-way through, the example kills the
 * server and starts it again on the same port: the new server knows no subscriptions, and the
 * channels subscribe again by themselves when the machine reconnects, so the tables carry on.
 * After `--seconds` it sends QUIT and exits. Everything stays on 127.0.0.1.
 */
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { concatMap, groupBy, map, merge, mergeMap, reduce, toArray, windowTime } from 'rxjs';
import { WebSocket, WebSocketServer } from 'ws';
import { Command, Machine, State, json, type Status } from '../lib/index.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '6' } } });
const seconds = Number(values.seconds);
if (!(seconds >= 2)) throw new RangeError(`--seconds must be a number of at least 2, got ${values.seconds}`);

const started = performance.now();
const clock = (): string => `+${((performance.now() - started) / 1000).toFixed(2)}s`.padStart(7);

// ---------------------------------------------------------------------------------------------
// The price server: stands in for an exchange feed.

interface Tick {
  readonly symbol: string;
  readonly price: number;
}

/** What the client sends: join or leave one symbol's stream. */
interface Subscription {
  readonly op: 'subscribe' | 'unsubscribe';
  readonly symbol: string;
}

// Kept outside the server so that the walk goes on from where it was after a restart.
const prices = new Map([
  ['ACME', 101.5],
  ['BOLT', 42.0],
  ['CUBE', 7.25],
]);

interface Feed {
  readonly port: number;
  stop(): Promise<void>;
}

async function startFeed(port = 0): Promise<Feed> {
  const server = new WebSocketServer({ host: '127.0.0.1', port });
  await once(server, 'listening');
  // Each connection gets only the symbols it subscribed to; a restarted server knows none.
  const subscribed = new Map<WebSocket, Set<string>>();
  server.on('connection', (client) => {
    const symbols = new Set<string>();
    subscribed.set(client, symbols);
    client.on('close', () => subscribed.delete(client));
    client.on('message', (data: Buffer) => {
      const { op, symbol } = JSON.parse(data.toString()) as Subscription;
      if (op === 'subscribe') symbols.add(symbol);
      else symbols.delete(symbol);
      console.log(`${clock()}  feed     ${op} ${symbol}`);
    });
  });
  const tick = setInterval(() => {
    for (const [symbol, price] of prices) {
      const next = Math.round(price * (1 + (Math.random() - 0.5) * 0.004) * 100) / 100;
      prices.set(symbol, next);
      const frame = JSON.stringify({ symbol, price: next } satisfies Tick);
      for (const [client, symbols] of subscribed) if (symbols.has(symbol) && client.readyState === WebSocket.OPEN) client.send(frame);
    }
  }, 50);
  return {
    port: (server.address() as AddressInfo).port,
    async stop() {
      clearInterval(tick);
      for (const client of server.clients) client.terminate(); // an abrupt loss, no close frame
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The client.

let feed = await startFeed();
const port = feed.port;
console.log(`${clock()}  feed     streaming ${[...prices.keys()].join(', ')} on ws://127.0.0.1:${port}/prices`);

// JSON both ways; a short fixed retry delay so that the restart below is bridged quickly.
const machine = new Machine(`ws://127.0.0.1:${port}/prices`, { codec: json<Tick, Subscription>(), retryDelay: 250 });

/** One symbol's ticks: joined on the first subscriber, and again after every reconnect. */
const channel = (symbol: string) =>
  machine.channel({
    subscribe: () => ({ op: 'subscribe', symbol }),
    unsubscribe: () => ({ op: 'unsubscribe', symbol }),
    filter: (tick) => tick.symbol === symbol,
  });

machine.state$.subscribe((status) => console.log(`${clock()}  machine  ${describe(status)}`));

interface Row {
  readonly symbol: string;
  readonly count: number;
  readonly min: number;
  readonly max: number;
  readonly sum: number;
  readonly last: number;
}

const addTick = (row: Row, { price }: Tick): Row => ({
  symbol: row.symbol,
  count: row.count + 1,
  min: Math.min(row.min, price),
  max: Math.max(row.max, price),
  sum: row.sum + price,
  last: price,
});
const emptyRow = (symbol: string): Row => ({ symbol, count: 0, min: Infinity, max: -Infinity, sum: 0, last: NaN });

const tables$ = merge(...[...prices.keys()].map(channel)).pipe(
  windowTime(1000),
  // Each window becomes one table: group its ticks by symbol and fold every group into a row.
  concatMap((window$, index) =>
    window$.pipe(
      groupBy((tick) => tick.symbol),
      mergeMap((bySymbol$) => bySymbol$.pipe(reduce(addTick, emptyRow(bySymbol$.key)))),
      toArray(),
      map((rows) => ({ index, rows: rows.sort((a, b) => a.symbol.localeCompare(b.symbol)) })),
    ),
  ),
);

const done = new Promise<void>((resolve) => {
  tables$.subscribe({
    next: ({ index, rows }) => console.log(table(index, rows)),
    complete: resolve, // channels complete on QUIT, which closes the last (partial) window
  });
});

// The scenario: kill the server at 40% of the run, start it again on the same port at 60%.
const at = (fraction: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, seconds * 1000 * fraction));
await at(0.4);
await feed.stop();
console.log(`${clock()}  feed     killed (clients terminated, port ${port} closed)`);
await at(0.2);
feed = await startFeed(port);
console.log(`${clock()}  feed     restarted on port ${port}`);
await at(0.4);
machine.command.next(Command.QUIT);
await done;
await feed.stop();
console.log(`${clock()}  done`);

// ---------------------------------------------------------------------------------------------

function describe({ state, error, attempt, delay, protocol }: Status): string {
  const details: string[] = [];
  if (state === State.CONNECTING || state === State.WAITING) details.push(`attempt ${attempt}`);
  if (delay !== undefined) details.push(`retry in ${delay} ms`);
  if (protocol) details.push(`protocol ${protocol}`);
  if (error) details.push(error.message);
  return details.length > 0 ? `${state} (${details.join(', ')})` : state;
}

function table(index: number, rows: readonly Row[]): string {
  const title = `${clock()}  window ${index + 1}`;
  if (rows.length === 0) return `${title}: no ticks`;
  const cell = (value: string | number, width = 9): string => (typeof value === 'number' ? value.toFixed(2) : value).padStart(width);
  const lines = [
    `${title}: ${rows.reduce((n, row) => n + row.count, 0)} ticks`,
    `           ${'symbol'.padEnd(6)}${cell('count', 7)}${cell('min')}${cell('max')}${cell('avg')}${cell('last')}`,
    ...rows.map(
      (row) =>
        `           ${row.symbol.padEnd(6)}${cell(String(row.count), 7)}${cell(row.min)}${cell(row.max)}${cell(row.sum / row.count)}${cell(row.last)}`,
    ),
  ];
  return lines.join('\n');
}
