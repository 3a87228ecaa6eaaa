/**
 * The machine's logic as a pure function: `transition(context, event, policy)` gives the next
 * context and the effects to run, as plain data. No RxJS, timers or sockets here: the machine
 * (machine.ts) feeds events in through `scan` and one subscriber runs the effects.
 *
 * Every socket and timer event carries the `id` of the attempt it belongs to; an event whose id is
 * not the current one is stale (a timer that fired as it was cancelled, a socket already given up)
 * and changes nothing.
 */
import { ConnectTimeoutError, PongTimeoutError, ReconnectError, type MachineError } from './errors.js';
import { Command, State, type Status } from './types.js';

/** The timers a machine runs; starting one replaces the running timer of the same name. */
export type TimerName = 'connect' | 'retry' | 'uptime' | 'keepalive';

export type Event =
  /** The machine was constructed (after `online$`'s first value, if it has one at once). */
  | { readonly type: 'START' }
  /** The commands the logic handles; the frame format belongs to the output path alone. */
  | { readonly type: 'COMMAND'; readonly command: LoopCommand }
  | { readonly type: 'ONLINE'; readonly online: boolean }
  /** The socket of attempt `id` opened. */
  | { readonly type: 'OPENED'; readonly id: number; readonly protocol: string }
  /** The `handshake` of attempt `id` succeeded. */
  | { readonly type: 'READY'; readonly id: number }
  /** Attempt `id` failed or its connection dropped: socket error or close, provider or handshake failure. */
  | { readonly type: 'FAILED'; readonly id: number; readonly error: MachineError }
  /** Timer events. */
  | { readonly type: 'CONNECT_TIMEOUT'; readonly id: number }
  | { readonly type: 'RETRY'; readonly id: number }
  | { readonly type: 'STABLE'; readonly id: number }
  | { readonly type: 'PING_DUE'; readonly id: number }
  | { readonly type: 'PONG_TIMEOUT'; readonly id: number };

/** The commands that reach the reducer: `USE_TEXT` and `USE_BINARY` are applied by the outbox. */
export type LoopCommand = Exclude<Command, 'USE_TEXT' | 'USE_BINARY'>;

export type Effect =
  /** Emit on `state$`. */
  | { readonly type: 'status'; readonly status: Status }
  /** Start attempt `id`: resolve URL and headers, open a socket. */
  | { readonly type: 'connect'; readonly id: number }
  /** Run the `handshake` option on attempt `id`'s open socket. */
  | { readonly type: 'handshake'; readonly id: number }
  /** Attempt `id` is CONNECTED: flush the queue, then send directly. */
  | { readonly type: 'flush'; readonly id: number }
  /** Give up attempt `id`'s socket: a close handshake with `code`, or abort it when there is none. */
  | { readonly type: 'close'; readonly id: number; readonly code?: number }
  | { readonly type: 'ping'; readonly id: number }
  | { readonly type: 'timer'; readonly name: Exclude<TimerName, 'keepalive'>; readonly id: number; readonly ms: number }
  /** Watch attempt `id`'s incoming frames: PING_DUE after silence, PONG_TIMEOUT after a ping goes unanswered. */
  | { readonly type: 'keepalive'; readonly id: number }
  | { readonly type: 'cancel'; readonly name: TimerName }
  /** Final: complete the streams, release everything. */
  | { readonly type: 'stop' };

export interface Context {
  readonly state: State;
  readonly started: boolean;
  readonly stopped: boolean;
  /** The current attempt's id (0 before the first). */
  readonly id: number;
  /** Consecutive failures: failed attempts and connections that dropped before `minUptime`. */
  readonly attempt: number;
  /** The current connection has been up `minUptime` ms. */
  readonly stable: boolean;
  readonly online: boolean;
  /** The sub-protocol of the socket that opened, kept until CONNECTED reports it. */
  readonly protocol: string;
}

/** The settings and callbacks the logic consults. The machine makes these total (no throws). */
export interface Policy {
  readonly connectTimeout: number;
  readonly minUptime: number;
  readonly keepAlive: boolean;
  readonly handshake: boolean;
  readonly maxAttempts: number;
  readonly retryDelay: (attempt: number) => number;
  readonly shouldReconnect: (error: Error) => boolean;
}

export type Step = readonly [Context, readonly Effect[]];

const NONE: readonly Effect[] = [];

/** The effects that carry no data are the same every time: made once, shared by every machine. */
const CANCEL: Readonly<Record<TimerName, Effect>> = Object.freeze({
  connect: Object.freeze({ type: 'cancel', name: 'connect' }),
  retry: Object.freeze({ type: 'cancel', name: 'retry' }),
  uptime: Object.freeze({ type: 'cancel', name: 'uptime' }),
  keepalive: Object.freeze({ type: 'cancel', name: 'keepalive' }),
});

/**
 * CONNECTED without a sub-protocol, the status most connections have: shared, so that what an idle
 * machine holds as its current status is not an object of its own (statuses are read-only).
 */
const CONNECTED_PLAIN: Effect = Object.freeze({ type: 'status', status: Object.freeze({ state: State.CONNECTED, protocol: '' }) });

/** Where every machine starts; contexts are never mutated, so all machines share this one. */
const INITIAL: Context = Object.freeze({
  state: State.DISCONNECTED,
  started: false,
  stopped: false,
  id: 0,
  attempt: 0,
  stable: false,
  online: true,
  protocol: '',
});

/** The seed of the machine's `scan`: the initial context, no effects. */
export const SEED: Step = Object.freeze([INITIAL, NONE] as const);

/**
 * `ctx` with `changes`, as one whole literal. Not a spread: V8 gives an object made by a spread
 * room for four properties and puts the rest in a second object (120 bytes against 88, and two
 * objects for the collector to mark, for the context every machine holds).
 */
function update(ctx: Context, changes: Partial<Context>): Context {
  return {
    state: changes.state ?? ctx.state,
    started: changes.started ?? ctx.started,
    stopped: changes.stopped ?? ctx.stopped,
    id: changes.id ?? ctx.id,
    attempt: changes.attempt ?? ctx.attempt,
    stable: changes.stable ?? ctx.stable,
    online: changes.online ?? ctx.online,
    protocol: changes.protocol ?? ctx.protocol,
  };
}

export function initialContext(): Context {
  return INITIAL;
}

export function transition(ctx: Context, event: Event, policy: Policy): Step {
  if (ctx.stopped) return [ctx, NONE];
  switch (event.type) {
    case 'START':
      return ctx.started ? [ctx, NONE] : attemptOrRest(update(ctx, { started: true }), NONE, policy);
    case 'ONLINE':
      return online(ctx, event.online, policy);
    case 'COMMAND':
      return command(ctx, event.command, policy);
  }
  if (event.id !== ctx.id) return [ctx, NONE];
  switch (ctx.state) {
    case State.CONNECTING:
      switch (event.type) {
        case 'OPENED': {
          const opened = update(ctx, { protocol: event.protocol });
          return policy.handshake ? [opened, [{ type: 'handshake', id: ctx.id }]] : connected(opened, policy);
        }
        case 'READY':
          return connected(ctx, policy);
        case 'FAILED':
          return failed(ctx, event.error, policy);
        case 'CONNECT_TIMEOUT':
          return failed(ctx, new ConnectTimeoutError(policy.connectTimeout), policy);
      }
      break;
    case State.CONNECTED:
      switch (event.type) {
        case 'FAILED':
          return dropped(ctx, event.error, policy);
        case 'PONG_TIMEOUT':
          return dropped(ctx, new PongTimeoutError('no frame arrived within pongTimeout after a ping: the connection is dead'), policy);
        case 'PING_DUE':
          return [ctx, [{ type: 'ping', id: ctx.id }]];
        case 'STABLE':
          return [update(ctx, { stable: true, attempt: 0 }), NONE];
      }
      break;
    case State.WAITING:
      if (event.type === 'RETRY' && ctx.online) return connectNow(ctx, [CANCEL.retry], policy);
      break;
  }
  return [ctx, NONE];
}

function command(ctx: Context, cmd: LoopCommand, policy: Policy): Step {
  switch (cmd) {
    case Command.QUIT: {
      const effects: Effect[] = [];
      if (ctx.state === State.CONNECTING || ctx.state === State.CONNECTED) effects.push({ type: 'close', id: ctx.id, code: 1000 });
      effects.push({ type: 'status', status: { state: State.DISCONNECTED } }, { type: 'stop' });
      return [update(ctx, { state: State.DISCONNECTED, stopped: true }), effects];
    }
    case Command.PING:
      return ctx.state === State.CONNECTED ? [ctx, [{ type: 'ping', id: ctx.id }]] : [ctx, NONE];
    case Command.RECONNECT:
      if (!ctx.online) return [ctx, NONE]; // offline wins: there is nothing to reconnect to
      if (ctx.state === State.WAITING) return connectNow(ctx, [CANCEL.retry], policy);
      if (ctx.state === State.CONNECTED) {
        // Asked for, so not a failure: the count stays where it was (0 if the connection was stable).
        const error = new ReconnectError('reconnect requested by Command.RECONNECT');
        return attemptOrRest(update(ctx, { attempt: ctx.stable ? 0 : ctx.attempt }), leaveConnected(ctx, error, 1000), policy);
      }
      return [ctx, NONE];
  }
}

function online(ctx: Context, isOnline: boolean, policy: Policy): Step {
  if (ctx.online === isOnline) return [ctx, NONE]; // a repeated value is no news
  const next = update(ctx, { online: isOnline });
  if (!ctx.started || ctx.state !== State.WAITING) return [next, NONE];
  // Back online: the network is there again, so any wait is cut short.
  if (isOnline) return connectNow(next, [CANCEL.retry], policy);
  // Going offline turns a pending wait into a rest without a delay.
  return [next, [CANCEL.retry, { type: 'status', status: { state: State.WAITING, attempt: ctx.attempt } }]];
}

/** Start a new attempt at once: CONNECTING(attempt). */
function connectNow(ctx: Context, before: readonly Effect[], policy: Policy): Step {
  const id = ctx.id + 1;
  return [
    update(ctx, { state: State.CONNECTING, id, stable: false, protocol: '' }),
    // concat, not spread: one array, and no iterator over `before` (this runs for every attempt).
    before.concat(
      { type: 'status', status: { state: State.CONNECTING, attempt: ctx.attempt } },
      { type: 'timer', name: 'connect', id, ms: policy.connectTimeout },
      { type: 'connect', id },
    ),
  ];
}

/** Attempt at once when online; rest in WAITING without a delay when not. */
function attemptOrRest(ctx: Context, before: readonly Effect[], policy: Policy): Step {
  if (ctx.online) return connectNow(ctx, before, policy);
  return [update(ctx, { state: State.WAITING }), [...before, { type: 'status', status: { state: State.WAITING, attempt: ctx.attempt } }]];
}

function connected(ctx: Context, policy: Policy): Step {
  const stable = policy.minUptime === 0;
  const id = ctx.id;
  const flush: Effect = { type: 'flush', id };
  const status: Effect =
    ctx.protocol === '' ? CONNECTED_PLAIN : { type: 'status', status: { state: State.CONNECTED, protocol: ctx.protocol } };
  const keepalive: Effect | undefined = policy.keepAlive ? { type: 'keepalive', id } : undefined;
  // Whole literals rather than pushes: a push would reserve room for 17 more, on every connection.
  let effects: Effect[];
  if (stable) effects = keepalive ? [CANCEL.connect, flush, status, keepalive] : [CANCEL.connect, flush, status];
  else {
    const uptime: Effect = { type: 'timer', name: 'uptime', id, ms: policy.minUptime };
    effects = keepalive ? [CANCEL.connect, flush, status, uptime, keepalive] : [CANCEL.connect, flush, status, uptime];
  }
  return [update(ctx, { state: State.CONNECTED, stable, attempt: stable ? 0 : ctx.attempt }), effects];
}

/** Effects of leaving CONNECTED: its timers stop, its socket goes, DISCONNECTED(error) is emitted. */
function leaveConnected(ctx: Context, error: MachineError, code?: number): Effect[] {
  return [
    CANCEL.uptime,
    CANCEL.keepalive,
    code === undefined ? { type: 'close', id: ctx.id } : { type: 'close', id: ctx.id, code },
    { type: 'status', status: { state: State.DISCONNECTED, error } },
  ];
}

/** An attempt failed: CONNECTING → DISCONNECTED(error) → WAITING (or stop). */
function failed(ctx: Context, error: MachineError, policy: Policy): Step {
  const effects: Effect[] = [
    CANCEL.connect,
    { type: 'close', id: ctx.id },
    { type: 'status', status: { state: State.DISCONNECTED, error } },
  ];
  return recover(update(ctx, { attempt: ctx.attempt + 1 }), error, effects, false, policy);
}

/** A connection dropped: CONNECTED → DISCONNECTED(error) → CONNECTING at once, or WAITING (or stop). */
function dropped(ctx: Context, error: MachineError, policy: Policy): Step {
  // `attempt` is 0 here both for a stable connection and for one made at the first try.
  const immediate = ctx.attempt === 0;
  return recover(update(ctx, { attempt: ctx.stable ? 0 : ctx.attempt + 1 }), error, leaveConnected(ctx, error), immediate, policy);
}

function recover(ctx: Context, error: MachineError, effects: Effect[], immediate: boolean, policy: Policy): Step {
  if (ctx.attempt >= policy.maxAttempts || !policy.shouldReconnect(error)) {
    // The DISCONNECTED(error) just emitted is the final status.
    return [update(ctx, { state: State.DISCONNECTED, stopped: true }), [...effects, { type: 'stop' }]];
  }
  if (!ctx.online) return attemptOrRest(ctx, effects, policy);
  if (immediate) return connectNow(ctx, effects, policy);
  const delay = policy.retryDelay(ctx.attempt);
  if (delay === 0) {
    // No wait, so no timer tick: WAITING is reported and the next attempt starts in the same step.
    const waiting: Effect = { type: 'status', status: { state: State.WAITING, attempt: ctx.attempt, delay } };
    return connectNow(ctx, [...effects, waiting], policy);
  }
  return [
    update(ctx, { state: State.WAITING }),
    [
      ...effects,
      { type: 'status', status: { state: State.WAITING, attempt: ctx.attempt, delay } },
      { type: 'timer', name: 'retry', id: ctx.id, ms: delay },
    ],
  ];
}
