// The browser demo: one machine on the page's own WebSocket, its state (with the WAITING countdown)
// and every message in and out, plus a button for each command. Served by ./server.ts, which
// bundles this file with esbuild on every request.
import { Machine, State, Command, type Message, type Status } from '../../lib/index.browser.js';

const $ = (selector: string): HTMLElement => {
  const el = document.querySelector<HTMLElement>(selector);
  if (!el) throw new Error(`missing ${selector}`);
  return el;
};

const stateEl = $('#state');
const detailEl = $('#detail');
const formatEl = $('#format');
const countsEl = $('#counts');
const logEl = $('#log') as HTMLOListElement;
const textEl = $('#text') as HTMLInputElement;
const startEl = $('#start') as HTMLButtonElement;
const commandButtons = [...document.querySelectorAll<HTMLButtonElement>('button[data-command]')];
const url = `ws://${location.host}/ws`;
$('#url').textContent = url;

const MAX_LINES = 200;
// The keep-alive exchange (see server.ts): a page cannot send ping frames, so the machine sends
// this message after pingInterval ms of silence, and the server answers it.
const HEARTBEAT = 'heartbeat';
const HEARTBEAT_ACK = 'heartbeat-ack';
let machine: Machine;
let countdown: ReturnType<typeof setInterval> | undefined;
let counts = { in: 0, out: 0, heartbeats: 0 };

function clock(): string {
  const d = new Date();
  return `${d.toTimeString().slice(0, 8)}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

function log(kind: 'in' | 'out' | 'state', text: string, tag?: string): void {
  const li = document.createElement('li');
  li.className = kind === 'state' ? 'state' : `msg ${kind}`;
  const time = document.createElement('span');
  time.className = 'time';
  time.textContent = clock();
  const dir = document.createElement('span');
  dir.className = 'dir';
  dir.textContent = kind === 'in' ? '←' : kind === 'out' ? '→' : '•';
  const body = document.createElement('span');
  if (tag) {
    const t = document.createElement('span');
    t.className = 'kind';
    t.textContent = tag;
    body.append(t);
  }
  body.append(text);
  li.append(time, dir, body);
  logEl.prepend(li);
  while (logEl.children.length > MAX_LINES) logEl.lastElementChild?.remove();
}

/** A binary message is shown as its UTF-8 text when it is valid UTF-8, otherwise as hex. */
function describe(m: Message): { text: string; tag: string } {
  if (typeof m === 'string') return { text: m, tag: 'text' };
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(m), tag: `binary ${m.byteLength} B` };
  } catch {
    return { text: Array.from(m, (b) => b.toString(16).padStart(2, '0')).join(' '), tag: `binary ${m.byteLength} B` };
  }
}

function updateCounts(): void {
  countsEl.textContent = `${counts.in} in · ${counts.out} out · ${counts.heartbeats} heartbeats answered`;
}

function showStatus(s: Status): void {
  clearInterval(countdown);
  countdown = undefined;
  stateEl.textContent = s.state;
  stateEl.dataset.state = s.state;
  const parts: string[] = [];
  if (s.state === State.CONNECTED) parts.push(`since ${clock().slice(0, 8)}`, s.protocol ? `protocol ${s.protocol}` : 'no sub-protocol');
  if (s.state === State.CONNECTING) parts.push(`attempt ${s.attempt}`);
  detailEl.replaceChildren();
  if (s.state === State.WAITING) {
    if (s.delay === undefined) {
      detailEl.textContent = 'offline: waiting for the network to come back';
    } else {
      // Status.delay is the whole wait; count it down from the moment the status arrived.
      const until = performance.now() + s.delay;
      const tick = (): void => {
        const left = Math.max(0, until - performance.now());
        detailEl.textContent = `next attempt in ${(left / 1000).toFixed(1)} s (after ${s.attempt} failed)`;
      };
      tick();
      countdown = setInterval(tick, 100);
    }
  } else {
    detailEl.textContent = parts.join(' · ');
  }
  if (s.error) {
    const e = document.createElement('span');
    e.className = 'error';
    e.textContent = `${detailEl.textContent ? ' · ' : ''}${s.error.message}`;
    detailEl.append(e);
  }
  const note = s.state === State.WAITING && s.delay !== undefined ? ` (${Math.round(s.delay)} ms)` : '';
  log('state', `${s.state}${note}${s.error ? `: ${s.error.message}` : ''}`);
}

function start(): void {
  counts = { in: 0, out: 0, heartbeats: 0 };
  updateCounts();
  // Text frames, as a person types text; USE_BINARY switches (the machine's default is binary).
  machine = new Machine(url, { format: 'text', heartbeat: HEARTBEAT, pingInterval: 5000, pongTimeout: 3000 });
  machine.state$.subscribe({
    next: showStatus,
    complete: () => {
      commandButtons.forEach((b) => (b.disabled = true));
      startEl.hidden = false;
    },
  });
  machine.input$.subscribe((m) => {
    // The answer to a heartbeat is keep-alive traffic, not a message for the user: count it only.
    if (m === HEARTBEAT_ACK) {
      counts.heartbeats++;
      updateCounts();
      return;
    }
    counts.in++;
    updateCounts();
    const { text, tag } = describe(m);
    log('in', text, tag);
  });
  machine.dropped$.subscribe((m) => log('state', `queue full, dropped: ${describe(m).text}`));
  commandButtons.forEach((b) => (b.disabled = false));
  startEl.hidden = true;
  formatEl.textContent = 'text';
}

for (const button of commandButtons) {
  button.addEventListener('click', () => {
    const command = button.dataset.command as Command;
    machine.command.next(command);
    if (command === Command.USE_TEXT) formatEl.textContent = 'text';
    if (command === Command.USE_BINARY) formatEl.textContent = 'binary';
    if (command !== Command.QUIT) log('out', command, 'command');
  });
}

$('#send').addEventListener('submit', (event) => {
  event.preventDefault();
  const text = textEl.value;
  if (!text) return;
  // Not connected? The machine queues it and sends it on connect.
  machine.output.next(text);
  counts.out++;
  updateCounts();
  log('out', text, formatEl.textContent);
  textEl.value = '';
});

$('#restart').addEventListener('click', () => {
  log('state', 'asking the server to restart');
  fetch('/restart', { method: 'POST' }).catch((e: unknown) =>
    log('state', `restart failed: ${e instanceof Error ? e.message : String(e)}`),
  );
});

startEl.addEventListener('click', start);
start();
