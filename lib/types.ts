import type { MachineError } from './errors.js';

/**
 * The four states of a machine.
 *
 * `State` is both a const object and a string-literal type of the same name, so
 * `State.CONNECTED === 'CONNECTED'` and a `State` variable accepts either spelling.
 *
 * @example
 * ```ts
 * machine.state$.pipe(filter((s) => s.state === State.CONNECTED)).subscribe(() => console.log('up'));
 * ```
 */
export const State = {
  /** Not connected: passing through after a failure, or stopped for good (the final status). */
  DISCONNECTED: 'DISCONNECTED',
  /** An attempt is under way (opening handshake, then the `handshake` option). */
  CONNECTING: 'CONNECTING',
  /** The socket is open: messages flow. */
  CONNECTED: 'CONNECTED',
  /** Between attempts: for `delay` ms, or, without a delay, until `online$` says online. */
  WAITING: 'WAITING',
} as const;
export type State = (typeof State)[keyof typeof State];

/**
 * What a caller can tell a machine through `machine.command`.
 *
 * - `QUIT`: close with code 1000 and stop for good.
 * - `PING`: send a keep-alive probe now.
 * - `USE_TEXT` / `USE_BINARY`: send text / binary frames from now on.
 * - `RECONNECT`: try at once when `WAITING`; drop and reconnect when `CONNECTED`.
 *
 * @example
 * ```ts
 * machine.command.next(Command.USE_TEXT);
 * machine.command.next(Command.QUIT);
 * ```
 */
export const Command = {
  /** Close with code 1000 and stop for good. */
  QUIT: 'QUIT',
  /** Send a ping (or the `heartbeat` message) now. */
  PING: 'PING',
  /** Send text frames from now on, queued messages included. */
  USE_TEXT: 'USE_TEXT',
  /** Send binary frames from now on (the default). */
  USE_BINARY: 'USE_BINARY',
  /** In WAITING, attempt at once; in CONNECTED, drop the connection and reconnect. */
  RECONNECT: 'RECONNECT',
} as const;
export type Command = (typeof Command)[keyof typeof Command];

/**
 * A received message: a text frame as `string`, a binary frame as `Uint8Array` (on Node a `Buffer`,
 * which is a `Uint8Array`), never copied.
 *
 * @example
 * ```ts
 * machine.input$.subscribe((m: Message) => (typeof m === 'string' ? onText(m) : onBytes(m)));
 * ```
 */
export type Message = string | Uint8Array;

/**
 * What `machine.output` accepts: text, or bytes in any form (only a view's own bytes are sent).
 *
 * @example
 * ```ts
 * const m: Sendable = new Float32Array([1, 2, 3]);
 * machine.output.next(m);
 * ```
 */
export type Sendable = string | Uint8Array | ArrayBuffer | ArrayBufferView;

/**
 * The frame type used for outgoing messages.
 *
 * @example
 * ```ts
 * const machine = new Machine(url, { format: 'text' satisfies Format });
 * ```
 */
export type Format = 'binary' | 'text';

/**
 * One emission of `machine.state$`: a union discriminated by `state`, so that checking `state`
 * narrows the rest (`attempt` is a number in `CONNECTING` and `WAITING`, `protocol` a string in
 * `CONNECTED`). Every member lists the other fields as absent, so destructuring works on any.
 *
 * @example
 * ```ts
 * import { Machine, State } from 'ws-machine';
 * const machine = new Machine('ws://127.0.0.1:8080/');
 * machine.state$.subscribe((s) => {
 *   if (s.state === State.WAITING && s.delay !== undefined) console.log(`retry #${s.attempt} in ${s.delay} ms`);
 *   if (s.state === State.CONNECTED) console.log(`up, sub-protocol "${s.protocol}"`);
 *   if (s.error) console.warn(s.error.name, s.error.message);
 * });
 * ```
 */
export type Status = ConnectingStatus | ConnectedStatus | WaitingStatus | DisconnectedStatus;

/**
 * An attempt is under way after `attempt` consecutive failures.
 *
 * @example
 * ```ts
 * import type { ConnectingStatus } from 'ws-machine';
 * const s: ConnectingStatus = { state: 'CONNECTING', attempt: 0 };
 * ```
 */
export interface ConnectingStatus {
  /** The state this status is in. */
  readonly state: 'CONNECTING';
  /** Consecutive failures before this attempt (0, 1, 2 …). */
  readonly attempt: number;
  /** Absent in this state. */
  readonly error?: undefined;
  /** Absent in this state. */
  readonly delay?: undefined;
  /** Absent in this state. */
  readonly protocol?: undefined;
}

/**
 * The socket is open and messages flow.
 *
 * @example
 * ```ts
 * import type { ConnectedStatus } from 'ws-machine';
 * const s: ConnectedStatus = { state: 'CONNECTED', protocol: '' };
 * ```
 */
export interface ConnectedStatus {
  /** The state this status is in. */
  readonly state: 'CONNECTED';
  /** The negotiated sub-protocol (`''` when none). */
  readonly protocol: string;
  /** Absent in this state. */
  readonly error?: undefined;
  /** Absent in this state. */
  readonly attempt?: undefined;
  /** Absent in this state. */
  readonly delay?: undefined;
}

/**
 * Between attempts: for `delay` ms, or, without a `delay`, until `online$` says online.
 *
 * @example
 * ```ts
 * import type { WaitingStatus } from 'ws-machine';
 * const s: WaitingStatus = { state: 'WAITING', attempt: 2, delay: 1500 };
 * ```
 */
export interface WaitingStatus {
  /** The state this status is in. */
  readonly state: 'WAITING';
  /** Consecutive failures so far. */
  readonly attempt: number;
  /** Milliseconds until the next attempt; absent while offline. */
  readonly delay?: number;
  /** Absent in this state. */
  readonly error?: undefined;
  /** Absent in this state. */
  readonly protocol?: undefined;
}

/**
 * Not connected: passing through after a failure (with `error`), or stopped for good.
 *
 * @example
 * ```ts
 * import type { DisconnectedStatus } from 'ws-machine';
 * const s: DisconnectedStatus = { state: 'DISCONNECTED' };
 * ```
 */
export interface DisconnectedStatus {
  /** The state this status is in. */
  readonly state: 'DISCONNECTED';
  /** Why the machine left `CONNECTED`/`CONNECTING`, when there was a cause. */
  readonly error?: MachineError;
  /** Absent in this state. */
  readonly attempt?: undefined;
  /** Absent in this state. */
  readonly delay?: undefined;
  /** Absent in this state. */
  readonly protocol?: undefined;
}
