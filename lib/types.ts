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
 * One emission of `machine.state$`.
 *
 * @example
 * ```ts
 * machine.state$.subscribe(({ state, attempt, delay, error }) => {
 *   if (state === State.WAITING && delay !== undefined) console.log(`retry #${attempt} in ${delay} ms`);
 *   if (error) console.warn(error.message);
 * });
 * ```
 */
export interface Status {
  /** The state the machine is in. */
  readonly state: State;
  /** Why the machine left `CONNECTED`/`CONNECTING`, when there was a cause. */
  readonly error?: Error;
  /** Consecutive failures so far (`CONNECTING`, `WAITING`). */
  readonly attempt?: number;
  /** Milliseconds until the next attempt (`WAITING` only; absent while offline). */
  readonly delay?: number;
  /** The negotiated sub-protocol (`CONNECTED` only; `''` when none). */
  readonly protocol?: string;
}
