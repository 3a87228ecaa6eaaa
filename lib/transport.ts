import type { Config } from './config.js';
import type { MachineError } from './errors.js';
import type { Message } from './types.js';

/** WebSocket ready states, as the standard API and `ws` number them. */
export const ReadyState = { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 } as const;

/**
 * The part of the standard (WHATWG) WebSocket interface that a machine drives.
 *
 * @example
 * ```ts
 * import type { WebSocketLike } from 'ws-machine';
 * const socket: WebSocketLike = new WebSocket('wss://example.com/');
 * ```
 */
export interface WebSocketLike {
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  /** The sub-protocol the server chose (`''` for none; some test doubles leave it unset). */
  readonly protocol?: string;
  /** Bytes accepted by `send()` but not yet on the wire; drives `highWaterMark`. */
  readonly bufferedAmount: number;
  /** Set to `'arraybuffer'` by the machine, so binary messages arrive as ArrayBuffer. */
  binaryType: string;
  /** Sends a string as a text frame, bytes as a binary frame. */
  send(data: string | ArrayBuffer | ArrayBufferView<ArrayBuffer>): void;
  /** Starts the closing handshake (or aborts an opening one). */
  close(code?: number, reason?: string): void;
  /** The machine listens for `open`, `message`, `close` and `error`. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each event type has its own event object
  addEventListener(type: string, listener: (event: any) => void): void;
  /** Undoes `addEventListener`. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as above
  removeEventListener(type: string, listener: (event: any) => void): void;
}

/**
 * A WebSocket constructor: the browser's, `ws`, or a test double.
 *
 * @example
 * ```ts
 * import WebSocket from 'ws';
 * import type { WebSocketConstructor } from 'ws-machine';
 * const ctor = WebSocket as unknown as WebSocketConstructor;
 * ```
 */
export type WebSocketConstructor = new (
  url: string,
  protocols?: string | string[],
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Node constructors take their own options object
  options?: any,
) => WebSocketLike;

/** What a socket reports to its machine. Only `message` is on the per-message hot path. */
export interface Sink {
  open(protocol: string): void;
  /** A message arrived; `bytes` is its payload size (UTF-8 for text). */
  message(message: Message, bytes: number): void;
  /** Something arrived: it counts for keep-alive. Called at least once per burst of frames. */
  activity(): void;
  /** A pong arrived (protocol pings only): activity, and the end of a round trip. */
  pong(): void;
  /** The socket failed or closed; called at most once, never after `close()`. */
  fail(error: MachineError): void;
}

/** One socket, behind the same face whether it is `ws` driven natively or a standard WebSocket. */
export interface Transport {
  /** Sends one frame; gives its payload size in bytes, or -1 (nothing sent) when the socket is not open, so the caller can queue it. */
  send(message: Message, binary: boolean): number;
  /** Sends a protocol ping; false when this socket cannot (standard WebSocket API). */
  ping(): boolean;
  readonly bufferedAmount: number;
  /** Stops reporting and lets the socket go: a close handshake with `code`, or an abort without. */
  close(code?: number): void;
}

/** What one attempt opens: the URL and headers its providers gave. */
export interface OpenRequest {
  readonly url: string;
  readonly protocols: string[] | undefined;
  readonly headers: Readonly<Record<string, string>> | undefined;
}

/** Opens a socket for one attempt: `ws` natively on Node, or the standard WebSocket API. */
export type Opener = (config: Config, request: OpenRequest, sink: Sink) => Transport;
