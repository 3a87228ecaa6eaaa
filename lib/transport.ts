import type { Message } from './types.js';

/** What a socket reports to its machine. Only `message` is on the per-message hot path. */
export interface Sink {
  open(protocol: string): void;
  message(message: Message): void;
  /** Something arrived: it counts for keep-alive. Called at least once per burst of frames. */
  activity(): void;
  /** The socket failed or closed; called at most once, never after `close()`. */
  fail(error: Error): void;
}

/** One socket, behind the same face whether it is `ws` driven natively or a standard WebSocket. */
export interface Transport {
  /** Sends one frame; false (nothing sent) when the socket is not open, so the caller can queue it. */
  send(message: Message, binary: boolean): boolean;
  /** Sends a protocol ping; false when this socket cannot (standard WebSocket API). */
  ping(): boolean;
  readonly bufferedAmount: number;
  /** Stops reporting and lets the socket go: a close handshake with `code`, or an abort without. */
  close(code?: number): void;
}

/** Node-only settings for opening a socket, as resolved for one attempt. */
export interface OpenRequest {
  readonly url: string;
  readonly protocols: string[] | undefined;
  readonly headers: Readonly<Record<string, string>> | undefined;
}
