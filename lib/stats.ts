import type { Message } from './types.js';

/**
 * A snapshot of what a machine has done since it was made: `machine.stats()`.
 *
 * @example
 * ```ts
 * import { Machine } from 'ws-machine';
 * const machine = new Machine('ws://127.0.0.1:8080/');
 * setInterval(() => {
 *   const { connects, drops, messagesIn, rtt } = machine.stats();
 *   console.log(`${connects} connects, ${drops} drops, ${messagesIn} in, rtt ${rtt ?? '?'} ms`);
 * }, 10_000);
 * ```
 */
export interface Stats {
  /** `CONNECTED`s. */
  readonly connects: number;
  /** Connections that ended other than by `QUIT` (`RECONNECT` included). */
  readonly drops: number;
  /** Failed attempts. */
  readonly failures: number;
  /** Messages received, those that failed to decode included. */
  readonly messagesIn: number;
  /** Messages handed to the socket from `output`, channels and requests (not pings, heartbeats or handshake sends). */
  readonly messagesOut: number;
  /** Payload bytes received (UTF-8 for text). */
  readonly bytesIn: number;
  /** Payload bytes sent (UTF-8 for text). */
  readonly bytesOut: number;
  /** Messages `dropped$` emitted. */
  readonly dropped: number;
  /** Messages that failed to decode. */
  readonly decodeErrors: number;
  /** Round trip of the latest answered ping, in ms on the scheduler's clock (an upper bound where pings are heartbeats). */
  readonly rtt?: number;
  /** Scheduler time of the current `CONNECTED`; absent otherwise. */
  readonly connectedSince?: number;
}

/** UTF-8 length of a string without encoding it. */
export function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) bytes += 1;
    else if (c >= 0xd800 && c < 0xdc00 && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 2; // a surrogate pair: 4 bytes for 2 code units
      i++;
    } else bytes += 2; // the rest of the BMP, and a lone surrogate (sent as U+FFFD), take 3
  }
  return bytes;
}

/** Payload size of a message in bytes. */
export function byteSize(message: Message): number {
  return typeof message === 'string' ? utf8Length(message) : message.byteLength;
}

/** The live counters behind `stats()`: plain fields, bumped in place on the paths that count. */
export class Counters {
  connects = 0;
  drops = 0;
  failures = 0;
  messagesIn = 0;
  messagesOut = 0;
  bytesIn = 0;
  bytesOut = 0;
  dropped = 0;
  decodeErrors = 0;
  rtt: number | undefined = undefined;
  /** On the machine's clock (`Clock.now`): a small number, not a heap number; see `snapshot`. */
  connectedSince: number | undefined = undefined;

  /** The counters as `Stats`; `epoch` is the clock's, to give `connectedSince` on the scheduler's own time. */
  snapshot(epoch: number): Stats {
    const { connects, drops, failures, messagesIn, messagesOut, bytesIn, bytesOut, dropped, decodeErrors, rtt, connectedSince } = this;
    const stats: { -readonly [K in keyof Stats]: Stats[K] } = {
      connects,
      drops,
      failures,
      messagesIn,
      messagesOut,
      bytesIn,
      bytesOut,
      dropped,
      decodeErrors,
    };
    if (rtt !== undefined) stats.rtt = rtt;
    if (connectedSince !== undefined) stats.connectedSince = epoch + connectedSince;
    return stats;
  }
}
