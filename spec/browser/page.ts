// The code the browser test runs inside Chromium (bundled by esbuild, loaded by page.html).
// It owns the machines and records what the page observes, so every assertion is about what
// happened in the browser, with the browser's own WebSocket, clock and online/offline events.
import { Machine, State, Command, json, type MachineOptions, type Message, type Status } from '../../lib/index.browser.js';

/** One state$ emission as the page saw it (`t` is the page's performance.now()). */
export interface SeenStatus {
  state: State;
  error?: string;
  code?: number;
  attempt?: number;
  delay?: number;
  protocol?: string;
  hasDelay: boolean;
  t: number;
}

/** One input$ emission: its JavaScript type as checked in the page, and its content. */
export interface SeenMessage {
  kind: 'string' | 'Uint8Array' | 'other';
  text?: string;
  bytes?: number[];
  t: number;
}

/** Options that survive page.evaluate's JSON-style transfer (no functions, no observables). */
export type PlainOptions = Pick<
  MachineOptions,
  'protocols' | 'format' | 'connectTimeout' | 'minUptime' | 'pingInterval' | 'pongTimeout' | 'heartbeat' | 'maxQueue'
> & { retryDelay?: number };

interface Entry {
  machine: Machine;
  statuses: SeenStatus[];
  messages: SeenMessage[];
  stateDone: boolean;
  inputDone: boolean;
}

/** What the typed scenario sends and the echo server sends back. */
export interface Echoed {
  ch: string;
  n?: number;
  id?: number;
}

/** What the typed scenario saw: a channel's values, a request's reply, errors$ and the counters. */
export interface TypedRun {
  channel: Echoed[];
  reply: Echoed;
  errors: string[];
  messagesOut: number;
  decodeErrors: number;
  completed: boolean;
}

/** Outgoing values the test can ask for, described as plain data. */
export type Outgoing = { text: string } | { bytes: number[]; as: 'Uint8Array' | 'ArrayBuffer' | 'DataView' };

const machines = new Map<string, Entry>();
const network: { event: 'online' | 'offline'; t: number }[] = [];
addEventListener('online', () => network.push({ event: 'online', t: performance.now() }));
addEventListener('offline', () => network.push({ event: 'offline', t: performance.now() }));

function entry(name: string): Entry {
  const e = machines.get(name);
  if (!e) throw new Error(`no machine named ${name}`);
  return e;
}

function record(s: Status): SeenStatus {
  const code = (s.error as { code?: unknown } | undefined)?.code;
  return {
    state: s.state,
    ...(s.error ? { error: `${s.error.name}: ${s.error.message}` } : {}),
    ...(typeof code === 'number' ? { code } : {}),
    ...(s.attempt !== undefined ? { attempt: s.attempt } : {}),
    ...(s.delay !== undefined ? { delay: s.delay } : {}),
    ...(s.protocol !== undefined ? { protocol: s.protocol } : {}),
    hasDelay: 'delay' in s,
    t: performance.now(),
  };
}

function see(m: Message): SeenMessage {
  const t = performance.now();
  if (typeof m === 'string') return { kind: 'string', text: m, t };
  if (m instanceof Uint8Array) return { kind: 'Uint8Array', bytes: Array.from(m), t };
  return { kind: 'other', text: Object.prototype.toString.call(m), t };
}

const harness = {
  State,
  Command,
  /** Whether the page's WebSocket is the browser's own (not a polyfill). */
  nativeWebSocket: (): boolean => Function.prototype.toString.call(WebSocket).includes('[native code]'),
  start(name: string, url: string, options: PlainOptions = {}): void {
    const { retryDelay, ...rest } = options;
    const machine = new Machine(url, { ...rest, ...(retryDelay !== undefined ? { retryDelay } : {}) });
    const e: Entry = { machine, statuses: [], messages: [], stateDone: false, inputDone: false };
    machines.set(name, e);
    machine.state$.subscribe({ next: (s) => e.statuses.push(record(s)), complete: () => (e.stateDone = true) });
    machine.input$.subscribe({ next: (m) => e.messages.push(see(m)), complete: () => (e.inputDone = true) });
  },
  send(name: string, out: Outgoing): void {
    const { machine } = entry(name);
    if ('text' in out) {
      machine.output.next(out.text);
      return;
    }
    const bytes = new Uint8Array(out.bytes);
    if (out.as === 'Uint8Array') machine.output.next(bytes);
    else if (out.as === 'ArrayBuffer') machine.output.next(bytes.buffer);
    else machine.output.next(new DataView(bytes.buffer));
  },
  command(name: string, command: Command): void {
    entry(name).machine.command.next(command);
  },
  /** Tries to construct a machine; a construction error comes back as data (the machine is stopped if it starts). */
  construct(url: string, options: Record<string, unknown>): { name: string; message: string } | 'constructed' {
    try {
      new Machine(url, options).command.next(Command.QUIT);
      return 'constructed';
    } catch (e) {
      return { name: (e as Error).name, message: (e as Error).message };
    }
  },
  url: (name: string): string => entry(name).machine.url,
  /**
   * The typed layer in the browser build: a `json()` machine with a channel (joined on CONNECTED,
   * ahead of the queued request), a request matched by id, and a heartbeat whose answer is not
   * JSON, so it reaches errors$ as a DecodeError. Resolves after QUIT, when the channel completed.
   */
  typed(url: string): Promise<TypedRun> {
    const machine = new Machine(url, { codec: json<Echoed, Echoed>(), heartbeat: 'heartbeat', pingInterval: 60_000 });
    const channel: Echoed[] = [];
    const errors: string[] = [];
    machine.errors$.subscribe((e) => errors.push(e.name));
    return new Promise((resolve, reject) => {
      let completed = false;
      machine
        .channel({ subscribe: () => ({ ch: 'news', n: 0 }), filter: (m): m is Echoed => m.ch === 'news' })
        .subscribe({ next: (m) => channel.push(m), complete: () => (completed = true) });
      machine.request({ ch: 'req', id: 7 }, { match: (m) => m.id === 7, timeout: 5000 }).subscribe({
        next: (reply) => {
          machine.command.next(Command.PING); // the heartbeat: its answer is not JSON
          const check = setInterval(() => {
            const stats = machine.stats();
            if (stats.decodeErrors === 0) return;
            clearInterval(check);
            machine.command.next(Command.QUIT);
            resolve({ channel, reply, errors, messagesOut: stats.messagesOut, decodeErrors: stats.decodeErrors, completed });
          }, 10);
        },
        error: reject,
      });
    });
  },
  statuses: (name: string): SeenStatus[] => entry(name).statuses,
  states: (name: string): State[] => entry(name).statuses.map((s) => s.state),
  messages: (name: string): SeenMessage[] => entry(name).messages,
  done: (name: string): { state: boolean; input: boolean } => ({ state: entry(name).stateDone, input: entry(name).inputDone }),
  /** True once the machine's latest status is `state` (and, when given, has at least `count` of them). */
  reached(name: string, state: State, count = 1): boolean {
    const seen = entry(name).statuses;
    return seen.at(-1)?.state === state && seen.filter((s) => s.state === state).length >= count;
  },
  network: () => network,
  now: () => performance.now(),
  /** QUITs every machine still running, so a test leaves no socket open behind it. */
  quitAll(): void {
    for (const e of machines.values()) if (!e.stateDone) e.machine.command.next(Command.QUIT);
    machines.clear();
  },
};

/** What the page exposes to the test as `window.harness`. */
export type Harness = typeof harness;

declare global {
  interface Window {
    harness: Harness;
  }
}

window.harness = harness;
document.body.dataset.ready = 'yes';
