/**
 * The ws-machine demo (`npm run demo`): a scripted tour that runs by itself in about 8 seconds.
 *
 * An embedded WebSocket server starts on 127.0.0.1; a Machine connects to it, echoes text and
 * binary messages, keeps the connection alive with pings, finds a dead link by keep-alive and
 * reconnects, survives the server being killed (queueing what is sent meanwhile, a small queue
 * giving up its oldest messages on dropped$) and restarted, reconnects on command, and quits.
 * Every state change and message is printed with the time since the start. Nothing leaves
 * 127.0.0.1.
 */
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { filter, firstValueFrom, type Subscription } from 'rxjs';
import { WebSocketServer } from 'ws';
import { Command, Machine, State, type Message, type Status } from '../lib/index.js';

// The process must end by itself: if a step hangs (or something is left open), say so and fail.
setTimeout(() => {
  console.error('demo: still running after 30 s; giving up');
  process.exit(1);
}, 30_000).unref();

// ---------------------------------------------------------------------------------------------
// Printing: `+1.234s  kind    text`, colored only on a terminal.

const started = performance.now();
const colors = process.stdout.isTTY && !('NO_COLOR' in process.env);
const paint =
  (...codes: number[]) =>
  (text: string): string =>
    colors ? `\x1b[${codes.join(';')}m${text}\x1b[0m` : text;
const dim = paint(2);
const bold = paint(1);
const STATE_COLOR: Record<State, (text: string) => string> = {
  CONNECTING: paint(33),
  CONNECTED: paint(32, 1),
  DISCONNECTED: paint(31),
  WAITING: paint(34),
};
const KIND_COLOR = { state: paint(1), send: paint(36), recv: paint(35), queue: paint(33), server: paint(90), cmd: paint(1, 33), note: dim };
type Kind = keyof typeof KIND_COLOR;

function log(kind: Kind, text: string): void {
  const time = `+${((performance.now() - started) / 1000).toFixed(3)}s`;
  console.log(`${dim(time.padStart(8))}  ${KIND_COLOR[kind](kind.padEnd(6))}  ${text}`);
}

function section(title: string): void {
  console.log(`\n${bold(`── ${title} `.padEnd(72, '─'))}`);
}

function showStatus({ state, error, attempt, delay, protocol }: Status): string {
  const details: string[] = [];
  if (attempt !== undefined) details.push(`attempt ${attempt}`);
  if (delay !== undefined) details.push(`retry in ${delay} ms`);
  if (protocol !== undefined) details.push(`protocol "${protocol}"`);
  let text = STATE_COLOR[state](state.padEnd(12));
  if (details.length > 0) text += ` (${details.join(', ')})`;
  if (error) text += `  ${dim(`${error.name}: ${error.message}`)}`;
  return text;
}

function showMessage(message: Message): string {
  if (typeof message === 'string') return `text   "${message}"`;
  const hex = Buffer.from(message.buffer, message.byteOffset, message.byteLength)
    .toString('hex')
    .replace(/(..)(?!$)/g, '$1 ');
  return `binary <${hex}> (${message.byteLength} bytes)`;
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// The embedded server: echoes every frame, answers pings, logs them; its links can go dead; it can
// be killed and restarted.

class EchoServer {
  private server: WebSocketServer | undefined;
  private clients = 0;
  private pinged: (() => void) | undefined;
  private open = 0;
  private closedAll: (() => void) | undefined;
  /** The connections whose link is dead: what the client sends is lost, nothing comes back. */
  private readonly dead = new WeakSet();
  port = 0;
  pings = 0;
  lost = 0;

  /** The links of the clients connected now go dead (no FIN, no close frame: e.g. a NAT forgot them). */
  killLinks(): void {
    for (const socket of this.server?.clients ?? []) this.dead.add(socket);
  }

  nextPing(): Promise<void> {
    return new Promise((resolve) => (this.pinged = resolve));
  }

  /** Resolves once no client is connected. */
  allClosed(): Promise<void> {
    return new Promise((resolve) => (this.open === 0 ? resolve() : (this.closedAll = resolve)));
  }

  async start(port: number): Promise<void> {
    // Pongs are sent below (not by ws itself), so that a dead link can swallow pings too.
    const server = new WebSocketServer({ host: '127.0.0.1', port, autoPong: false });
    this.server = server;
    server.on('connection', (socket) => {
      const client = ++this.clients;
      this.open += 1;
      log('server', `client #${client} connected (sub-protocol "${socket.protocol}")`);
      socket.on('close', (code) => {
        log('server', `client #${client} closed (code ${code})`);
        if (--this.open === 0) this.closedAll?.();
      });
      socket.on('message', (data, isBinary) => {
        if (!this.dead.has(socket)) {
          socket.send(data, { binary: isBinary });
          return;
        }
        this.lost += 1;
        log('server', dim(`(a message from client #${client} is lost on the dead link)`));
      });
      socket.on('ping', (data) => {
        this.pings += 1;
        if (this.dead.has(socket)) {
          log('server', dim(`(a ping from client #${client} is lost on the dead link)`));
        } else {
          socket.pong(data);
          log('server', 'ping received → pong sent');
        }
        this.pinged?.();
      });
    });
    await once(server, 'listening');
    this.port = (server.address() as AddressInfo).port;
  }

  /** Gone at once, as in a crash: sockets dropped without a close frame, the port closed. */
  async kill(): Promise<number> {
    const server = this.server;
    if (server === undefined) return 0;
    this.server = undefined;
    const dropped = server.clients.size;
    for (const socket of server.clients) socket.terminate();
    await new Promise((resolve) => server.close(resolve));
    return dropped;
  }
}

// ---------------------------------------------------------------------------------------------
// The scenario.

console.log(bold('ws-machine demo') + dim('  ·  a WebSocket that stays up  ·  everything on 127.0.0.1, about 8 s'));

section('1. start a server and a machine');
const server = new EchoServer();
await server.start(0);
const url = `ws://127.0.0.1:${server.port}/echo`;
log('server', `listening on ${url}`);

const machine = new Machine(url, {
  protocols: 'demo.v1',
  retryDelay: (attempt) => 300 * attempt, // short and fixed, so the demo is quick and always the same shape
  minUptime: 1000,
  pingInterval: 600, // short, to show the keep-alive
  pongTimeout: 1000,
  maxQueue: 3, // tiny, to show what a full queue does
});
log(
  'cmd',
  `new Machine("${url}", { protocols: "demo.v1", retryDelay: a => 300 × a, minUptime: 1000, pingInterval: 600, pongTimeout: 1000, maxQueue: 3 })`,
);

const seen: Partial<Record<State, number>> = {};
let current: State = State.DISCONNECTED;
let connects = 0;
let sent = 0;
let received = 0;
let dropped = 0;
let awaited = {
  count: Infinity,
  resolve: (): void => {
    // Nobody waits yet: a count of Infinity is never reached.
  },
};

const watching: Subscription = machine.state$.subscribe((status) => {
  current = status.state;
  seen[status.state] = (seen[status.state] ?? 0) + 1;
  if (status.state === State.CONNECTED) connects += 1;
  log('state', showStatus(status));
});
watching.add(
  machine.input$.subscribe((message) => {
    received += 1;
    log('recv', showMessage(message));
    if (received >= awaited.count) awaited.resolve();
  }),
);
watching.add(
  machine.dropped$.subscribe((message) => {
    dropped += 1;
    log('queue', `dropped$: ${showMessage(message)}  ${dim('(the queue holds 3: the oldest gives way, and says so)')}`);
  }),
);

const until = (test: (status: Status) => boolean): Promise<Status> => firstValueFrom(machine.state$.pipe(filter(test)));
/** Resolves once `count` messages have come in since the start. */
function receivedAll(count: number): Promise<void> {
  return new Promise((resolve) => {
    awaited = { count, resolve };
    if (received >= count) resolve();
  });
}

function send(message: Message): void {
  sent += 1;
  if (current === State.CONNECTED) log('send', showMessage(message));
  else log('queue', `${showMessage(message)}  ${dim(`(machine is ${current}: held until CONNECTED)`)}`);
  machine.output.next(message);
}

function command(name: Command, why: string): void {
  log('cmd', `Command.${name}  ${dim(why)}`);
  machine.command.next(name);
}

await until((s) => s.state === State.CONNECTED);
await pause(400);

section('2. messages echo');
command(Command.USE_TEXT, 'send text frames from now on (the default is binary)');
send('hello, machine');
send('text frames go out as strings and come back as strings');
command(Command.USE_BINARY, 'back to binary frames');
send(Uint8Array.of(0x01, 0x02, 0x03, 0xff));
await receivedAll(3);
await pause(200);

section('3. keep-alive');
await server.nextPing();
log('note', 'nothing came in for 600 ms (pingInterval), so the machine pinged; any frame back within pongTimeout (1 s) proves the link');
await pause(100);

section('4. a dead link');
server.killLinks();
log('server', 'the link to client #1 goes dead: no FIN, no close frame, nothing gets through any more');
command(Command.USE_TEXT, 'readable echoes from now on');
send('anyone there?');
log('note', 'the socket took it, and it is gone: no WebSocket client can know that the link is dead');
const dead = await until((s) => s.state === State.DISCONNECTED);
log('note', `keep-alive found it: a ping after 600 ms of silence, no answer within 1 s → ${dead.error?.name ?? '?'}`);
await until((s) => s.state === State.CONNECTED);
log('note', 'the connection had been up longer than minUptime, so the machine reconnected at once');
await pause(1100); // past minUptime again, so the next drop also starts from attempt 0

section('5. the server dies');
const terminated = await server.kill();
log('server', `killed: ${terminated} client${terminated === 1 ? '' : 's'} terminated, port ${server.port} closed`);
await until((s) => s.state === State.WAITING);
for (let n = 1; n <= 5; n++) send(`queued #${n}`);
await until((s) => s.state === State.WAITING && s.attempt === 3);

section('6. the server comes back');
await server.start(server.port);
log('server', `restarted on port ${server.port}`);
await until((s) => s.state === State.CONNECTED);
await receivedAll(6);
await pause(100);
log('note', 'what the queue held was flushed in order on connect, as text; what it gave up went out on dropped$');

section('7. reconnect on command');
await pause(1100); // past minUptime, so the connection counts as stable and attempt is back to 0
command(Command.RECONNECT, 'drop this connection and make a new one');
await until((s) => s.state === State.CONNECTED);
send('after RECONNECT');
await receivedAll(7);
await pause(500);

section('8. quit');
await pause(400);
command(Command.QUIT, 'close with code 1000 and stop for good');
await new Promise<void>((resolve) => machine.state$.subscribe({ complete: resolve }));
watching.unsubscribe();
await server.allClosed();
await server.kill();
log('server', 'stopped');

section('summary');
const states = (Object.keys(seen) as State[]).map((state) => `${state} ×${seen[state]}`).join(', ');
console.log(`  states seen   ${states}`);
console.log(`  messages      ${sent} sent, ${received} received, ${dropped} dropped (on dropped$), ${server.lost} lost on the dead link`);
console.log(`  reconnects    ${connects - 1} (${connects} connections in all)`);
console.log(`  pings         ${server.pings} received by the server`);
console.log(`  took          ${((performance.now() - started) / 1000).toFixed(1)} s`);
