import { expect } from 'chai';
import { ConnectTimeoutError, MachineError, PongTimeoutError, ReconnectError } from '../lib/errors.js';
import { initialContext, transition, type Context, type Effect, type Event, type LoopCommand, type Policy } from '../lib/reducer.js';
import { Command, State, type Status } from '../lib/types.js';

const policy: Policy = {
  connectTimeout: 5000,
  minUptime: 5000,
  keepAlive: true,
  handshake: false,
  maxAttempts: Infinity,
  retryDelay: (attempt) => attempt * 1000,
  shouldReconnect: () => true,
};

const base = initialContext();
const ctx = (over: Partial<Context>): Context => ({ ...base, started: true, ...over });
const boom = new MachineError('boom');

const idle = ctx({ started: false });
const connecting = ctx({ state: State.CONNECTING, id: 1 });
const connectingRetry = ctx({ state: State.CONNECTING, id: 4, attempt: 3 });
const connected = ctx({ state: State.CONNECTED, id: 1 });
const connectedStable = ctx({ state: State.CONNECTED, id: 3, stable: true });
const connectedShaky = ctx({ state: State.CONNECTED, id: 3, attempt: 2 });
const waiting = ctx({ state: State.WAITING, id: 2, attempt: 2 });
const offlineWaiting = ctx({ state: State.WAITING, id: 2, attempt: 2, online: false });
const stopped = ctx({ state: State.DISCONNECTED, stopped: true, id: 1 });

const status = (s: object): Effect => ({ type: 'status', status: s as never });
const connectEffects = (id: number, attempt: number): Effect[] => [
  status({ state: State.CONNECTING, attempt }),
  { type: 'timer', name: 'connect', id, ms: 5000 },
  { type: 'connect', id },
];
const cancel = (name: 'connect' | 'retry' | 'uptime' | 'keepalive'): Effect => ({ type: 'cancel', name });
const leaveConnected = (id: number, error: unknown, code?: number): Effect[] => [
  cancel('uptime'),
  cancel('keepalive'),
  code === undefined ? { type: 'close', id } : { type: 'close', id, code },
  status({ state: State.DISCONNECTED, error }),
];
const cmd = (command: LoopCommand): Event => ({ type: 'COMMAND', command });

type Row = [name: string, from: Context, event: Event, to: Partial<Context>, effects: Effect[], policy?: Partial<Policy>];

// [from, event, to, effects]: every transition of the machine, as data.
const rows: Row[] = [
  // start
  ['START online → CONNECTING(0)', idle, { type: 'START' }, { state: State.CONNECTING, id: 1, attempt: 0 }, connectEffects(1, 0)],
  [
    'START offline → WAITING without delay',
    ctx({ started: false, online: false }),
    { type: 'START' },
    { state: State.WAITING, id: 0 },
    [status({ state: State.WAITING, attempt: 0 })],
  ],
  ['START twice is ignored', connecting, { type: 'START' }, connecting, []],
  ['ONLINE before START only records it', idle, { type: 'ONLINE', online: false }, { online: false, started: false }, []],

  // CONNECTING
  [
    'OPENED → CONNECTED, flush before the status',
    connecting,
    { type: 'OPENED', id: 1, protocol: 'v1' },
    { state: State.CONNECTED, protocol: 'v1' },
    [
      cancel('connect'),
      { type: 'flush', id: 1 },
      status({ state: State.CONNECTED, protocol: 'v1' }),
      { type: 'timer', name: 'uptime', id: 1, ms: 5000 },
      { type: 'keepalive', id: 1 },
    ],
  ],
  [
    'OPENED with minUptime 0 is stable at once, no uptime timer',
    connectingRetry,
    { type: 'OPENED', id: 4, protocol: '' },
    { state: State.CONNECTED, stable: true, attempt: 0 },
    [cancel('connect'), { type: 'flush', id: 4 }, status({ state: State.CONNECTED, protocol: '' }), { type: 'keepalive', id: 4 }],
    { minUptime: 0 },
  ],
  [
    'OPENED without keep-alive starts no watch',
    connecting,
    { type: 'OPENED', id: 1, protocol: '' },
    { state: State.CONNECTED },
    [
      cancel('connect'),
      { type: 'flush', id: 1 },
      status({ state: State.CONNECTED, protocol: '' }),
      { type: 'timer', name: 'uptime', id: 1, ms: 5000 },
    ],
    { keepAlive: false },
  ],
  [
    'OPENED with a handshake stays CONNECTING and runs it',
    connecting,
    { type: 'OPENED', id: 1, protocol: 'p' },
    { state: State.CONNECTING, protocol: 'p' },
    [{ type: 'handshake', id: 1 }],
    { handshake: true },
  ],
  [
    'READY (handshake done) → CONNECTED',
    ctx({ state: State.CONNECTING, id: 1, protocol: 'p' }),
    { type: 'READY', id: 1 },
    { state: State.CONNECTED },
    [
      cancel('connect'),
      { type: 'flush', id: 1 },
      status({ state: State.CONNECTED, protocol: 'p' }),
      { type: 'timer', name: 'uptime', id: 1, ms: 5000 },
      { type: 'keepalive', id: 1 },
    ],
    { handshake: true },
  ],
  [
    'FAILED → DISCONNECTED(error) → WAITING(1, delay)',
    connecting,
    { type: 'FAILED', id: 1, error: boom },
    { state: State.WAITING, attempt: 1 },
    [
      cancel('connect'),
      { type: 'close', id: 1 },
      status({ state: State.DISCONNECTED, error: boom }),
      status({ state: State.WAITING, attempt: 1, delay: 1000 }),
      { type: 'timer', name: 'retry', id: 1, ms: 1000 },
    ],
  ],
  [
    'FAILED after 3 failures → WAITING(4)',
    connectingRetry,
    { type: 'FAILED', id: 4, error: boom },
    { state: State.WAITING, attempt: 4 },
    [
      cancel('connect'),
      { type: 'close', id: 4 },
      status({ state: State.DISCONNECTED, error: boom }),
      status({ state: State.WAITING, attempt: 4, delay: 4000 }),
      { type: 'timer', name: 'retry', id: 4, ms: 4000 },
    ],
  ],
  [
    'CONNECT_TIMEOUT is a failed attempt',
    connecting,
    { type: 'CONNECT_TIMEOUT', id: 1 },
    { state: State.WAITING, attempt: 1 },
    [
      cancel('connect'),
      { type: 'close', id: 1 },
      status({ state: State.DISCONNECTED, error: new ConnectTimeoutError(5000) }),
      status({ state: State.WAITING, attempt: 1, delay: 1000 }),
      { type: 'timer', name: 'retry', id: 1, ms: 1000 },
    ],
  ],
  [
    'FAILED reaching maxAttempts stops with the error on the last status',
    connectingRetry,
    { type: 'FAILED', id: 4, error: boom },
    { state: State.DISCONNECTED, stopped: true, attempt: 4 },
    [cancel('connect'), { type: 'close', id: 4 }, status({ state: State.DISCONNECTED, error: boom }), { type: 'stop' }],
    { maxAttempts: 4 },
  ],
  [
    'FAILED with shouldReconnect false stops',
    connecting,
    { type: 'FAILED', id: 1, error: boom },
    { state: State.DISCONNECTED, stopped: true },
    [cancel('connect'), { type: 'close', id: 1 }, status({ state: State.DISCONNECTED, error: boom }), { type: 'stop' }],
    { shouldReconnect: () => false },
  ],
  [
    'FAILED while offline rests in WAITING without delay',
    ctx({ state: State.CONNECTING, id: 1, online: false }),
    { type: 'FAILED', id: 1, error: boom },
    { state: State.WAITING, attempt: 1 },
    [
      cancel('connect'),
      { type: 'close', id: 1 },
      status({ state: State.DISCONNECTED, error: boom }),
      status({ state: State.WAITING, attempt: 1 }),
    ],
  ],
  ['a stale FAILED (old id) changes nothing', connecting, { type: 'FAILED', id: 0, error: boom }, connecting, []],
  ['PING in CONNECTING does nothing', connecting, cmd(Command.PING), connecting, []],
  ['RECONNECT in CONNECTING does nothing', connecting, cmd(Command.RECONNECT), connecting, []],
  [
    'QUIT in CONNECTING closes with 1000 and stops',
    connecting,
    cmd(Command.QUIT),
    { state: State.DISCONNECTED, stopped: true },
    [{ type: 'close', id: 1, code: 1000 }, status({ state: State.DISCONNECTED }), { type: 'stop' }],
  ],

  // CONNECTED
  [
    'drop of the first connection (attempt 0) → CONNECTING(1) at once',
    connected,
    { type: 'FAILED', id: 1, error: boom },
    { state: State.CONNECTING, id: 2, attempt: 1 },
    [...leaveConnected(1, boom), ...connectEffects(2, 1)],
  ],
  [
    'drop of a stable connection → CONNECTING(0) at once',
    connectedStable,
    { type: 'FAILED', id: 3, error: boom },
    { state: State.CONNECTING, id: 4, attempt: 0 },
    [...leaveConnected(3, boom), ...connectEffects(4, 0)],
  ],
  [
    'drop before minUptime after failures → WAITING(attempt+1)',
    connectedShaky,
    { type: 'FAILED', id: 3, error: boom },
    { state: State.WAITING, attempt: 3 },
    [
      ...leaveConnected(3, boom),
      status({ state: State.WAITING, attempt: 3, delay: 3000 }),
      { type: 'timer', name: 'retry', id: 3, ms: 3000 },
    ],
  ],
  [
    'drop reaching maxAttempts stops',
    connectedShaky,
    { type: 'FAILED', id: 3, error: boom },
    { state: State.DISCONNECTED, stopped: true },
    [...leaveConnected(3, boom), { type: 'stop' }],
    { maxAttempts: 3 },
  ],
  [
    'a stable drop never reaches maxAttempts',
    connectedStable,
    { type: 'FAILED', id: 3, error: boom },
    { state: State.CONNECTING, attempt: 0 },
    [...leaveConnected(3, boom), ...connectEffects(4, 0)],
    { maxAttempts: 1 },
  ],
  [
    'drop while offline rests in WAITING',
    ctx({ state: State.CONNECTED, id: 1, online: false }),
    { type: 'FAILED', id: 1, error: boom },
    { state: State.WAITING, attempt: 1 },
    [...leaveConnected(1, boom), status({ state: State.WAITING, attempt: 1 })],
  ],
  ['STABLE resets attempt', connectedShaky, { type: 'STABLE', id: 3 }, { state: State.CONNECTED, stable: true, attempt: 0 }, []],
  ['PING_DUE → ping', connected, { type: 'PING_DUE', id: 1 }, connected, [{ type: 'ping', id: 1 }]],
  ['PING → ping', connected, cmd(Command.PING), connected, [{ type: 'ping', id: 1 }]],
  [
    'PONG_TIMEOUT drops the connection',
    connected,
    { type: 'PONG_TIMEOUT', id: 1 },
    { state: State.CONNECTING, id: 2, attempt: 1 },
    [
      ...leaveConnected(1, new PongTimeoutError('no frame arrived within pongTimeout after a ping: the connection is dead')),
      ...connectEffects(2, 1),
    ],
  ],
  [
    'RECONNECT drops and reconnects without counting a failure',
    connectedStable,
    cmd(Command.RECONNECT),
    { state: State.CONNECTING, id: 4, attempt: 0 },
    [...leaveConnected(3, new ReconnectError('reconnect requested by Command.RECONNECT'), 1000), ...connectEffects(4, 0)],
  ],
  [
    'RECONNECT keeps the count of a connection not yet stable',
    connectedShaky,
    cmd(Command.RECONNECT),
    { state: State.CONNECTING, attempt: 2 },
    [...leaveConnected(3, new ReconnectError('reconnect requested by Command.RECONNECT'), 1000), ...connectEffects(4, 2)],
  ],
  [
    'QUIT in CONNECTED closes with 1000',
    connected,
    cmd(Command.QUIT),
    { state: State.DISCONNECTED, stopped: true },
    [{ type: 'close', id: 1, code: 1000 }, status({ state: State.DISCONNECTED }), { type: 'stop' }],
  ],
  ['OPENED in CONNECTED (stale duplicate) is ignored', connected, { type: 'OPENED', id: 1, protocol: '' }, connected, []],
  [
    'ONLINE false in CONNECTED only records it',
    connected,
    { type: 'ONLINE', online: false },
    { state: State.CONNECTED, online: false },
    [],
  ],

  // WAITING
  [
    'RETRY → CONNECTING(attempt)',
    waiting,
    { type: 'RETRY', id: 2 },
    { state: State.CONNECTING, id: 3, attempt: 2 },
    [cancel('retry'), ...connectEffects(3, 2)],
  ],
  ['a stale RETRY is ignored', waiting, { type: 'RETRY', id: 1 }, waiting, []],
  [
    'RECONNECT in WAITING tries at once',
    waiting,
    cmd(Command.RECONNECT),
    { state: State.CONNECTING, id: 3 },
    [cancel('retry'), ...connectEffects(3, 2)],
  ],
  ['RECONNECT while offline does nothing', offlineWaiting, cmd(Command.RECONNECT), offlineWaiting, []],
  [
    'RECONNECT while CONNECTED but offline does nothing: offline wins',
    ctx({ state: State.CONNECTED, id: 1, online: false }),
    cmd(Command.RECONNECT),
    { state: State.CONNECTED, id: 1 },
    [],
  ],
  [
    'FAILED with a delay of 0: WAITING(delay 0) and CONNECTING in the same step, no retry timer',
    connecting,
    { type: 'FAILED', id: 1, error: boom },
    { state: State.CONNECTING, id: 2, attempt: 1 },
    [
      cancel('connect'),
      { type: 'close', id: 1 },
      status({ state: State.DISCONNECTED, error: boom }),
      status({ state: State.WAITING, attempt: 1, delay: 0 }),
      ...connectEffects(2, 1),
    ],
    { retryDelay: () => 0 },
  ],
  [
    'a drop after failures with a delay of 0 comes straight back too',
    connectedShaky,
    { type: 'FAILED', id: 3, error: boom },
    { state: State.CONNECTING, id: 4, attempt: 3 },
    [...leaveConnected(3, boom), status({ state: State.WAITING, attempt: 3, delay: 0 }), ...connectEffects(4, 3)],
    { retryDelay: () => 0 },
  ],
  [
    'ONLINE false cuts the wait into a rest',
    waiting,
    { type: 'ONLINE', online: false },
    { state: State.WAITING, online: false },
    [cancel('retry'), status({ state: State.WAITING, attempt: 2 })],
  ],
  [
    'ONLINE true attempts at once',
    offlineWaiting,
    { type: 'ONLINE', online: true },
    { state: State.CONNECTING, online: true, id: 3 },
    [cancel('retry'), ...connectEffects(3, 2)],
  ],
  ['ONLINE true while online (a repeated true) changes nothing', waiting, { type: 'ONLINE', online: true }, waiting, []],
  ['ONLINE false while offline does nothing', offlineWaiting, { type: 'ONLINE', online: false }, offlineWaiting, []],
  ['ONLINE true in CONNECTING does nothing', connecting, { type: 'ONLINE', online: true }, connecting, []],
  ['RETRY while offline does nothing', offlineWaiting, { type: 'RETRY', id: 2 }, offlineWaiting, []],
  [
    'QUIT in WAITING has no socket to close',
    waiting,
    cmd(Command.QUIT),
    { state: State.DISCONNECTED, stopped: true },
    [status({ state: State.DISCONNECTED }), { type: 'stop' }],
  ],

  // any state
  // The frame format is applied by the machine on the output path, not by the logic.

  // stopped: nothing moves any more
  ['after stop, QUIT does nothing', stopped, cmd(Command.QUIT), stopped, []],
  ['after stop, socket events do nothing', stopped, { type: 'OPENED', id: 1, protocol: '' }, stopped, []],
  ['after stop, ONLINE does nothing', stopped, { type: 'ONLINE', online: false }, stopped, []],
];

describe('reducer: transition(from, event) → [to, effects]', function () {
  this.timeout(2000);
  for (const [name, from, event, to, effects, over] of rows) {
    it(name, () => {
      const [next, actual] = transition(from, event, { ...policy, ...over });
      expect(next).to.deep.include(to);
      expect(actual).to.deep.equal(effects);
    });
  }

  it('returns the same context object when nothing changes (cheap to compare)', () => {
    expect(transition(connected, { type: 'RETRY', id: 1 }, policy)[0]).to.equal(connected);
  });

  it('CONNECTED without a sub-protocol is one frozen status shared by every connection; with one, a status of its own', () => {
    const statusOf = (protocol: string): Status | undefined => {
      const opened = transition(transition(idle, { type: 'START' }, policy)[0], { type: 'OPENED', id: 1, protocol }, policy)[1];
      const effect = opened.find((e) => e.type === 'status');
      return effect?.type === 'status' ? effect.status : undefined;
    };
    const plain = statusOf('');
    expect(plain).to.deep.equal({ state: State.CONNECTED, protocol: '' });
    expect(statusOf('')).to.equal(plain);
    expect(Object.isFrozen(plain)).to.equal(true);
    const chat = statusOf('chat');
    expect(chat).to.deep.equal({ state: State.CONNECTED, protocol: 'chat' });
    expect(chat).to.not.equal(statusOf('chat'));
  });

  it('asks shouldReconnect with the error of the drop', () => {
    const seen: Error[] = [];
    transition(connected, { type: 'FAILED', id: 1, error: boom }, { ...policy, shouldReconnect: (e) => (seen.push(e), true) });
    expect(seen).to.deep.equal([boom]);
  });

  it('does not ask shouldReconnect for a requested reconnect or a QUIT', () => {
    let asked = 0;
    const counting = { ...policy, shouldReconnect: () => (asked++, true) };
    transition(connected, cmd(Command.RECONNECT), counting);
    transition(connected, cmd(Command.QUIT), counting);
    expect(asked).to.equal(0);
  });

  it('a server that accepts and drops every connection gets growing waits, never a storm', () => {
    let c = transition(idle, { type: 'START' }, policy)[0];
    const waits: (number | undefined)[] = [];
    for (let i = 0; i < 5; i++) {
      c = transition(c, { type: 'OPENED', id: c.id, protocol: '' }, policy)[0];
      const [next, effects] = transition(c, { type: 'FAILED', id: c.id, error: boom }, policy);
      const wait = effects.find((e) => e.type === 'status' && e.status.state === State.WAITING);
      waits.push(wait?.type === 'status' ? wait.status.delay : undefined);
      c = next.state === State.WAITING ? transition(next, { type: 'RETRY', id: next.id }, policy)[0] : next;
    }
    // First drop reconnects at once (attempt was 0); then 2, 3, 4, 5 failures in a row.
    expect(waits).to.deep.equal([undefined, 2000, 3000, 4000, 5000]);
  });
});
