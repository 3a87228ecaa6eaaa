import { kindOf } from './describe.js';
import type { Message } from './types.js';

/**
 * Turns what a caller gives `output` into a Message without copying: a string stays a string,
 * bytes become a Uint8Array over exactly the view's bytes (not its whole buffer).
 * Throws a TypeError for anything else.
 */
export function toMessage(value: unknown): Message {
  if (typeof value === 'string' || value instanceof Uint8Array) return value;
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  const kind = kindOf(value);
  if (kind === 'ArrayBuffer' || kind === 'SharedArrayBuffer') return new Uint8Array(value as ArrayBuffer);
  throw new TypeError(`output accepts a string, an ArrayBuffer or an ArrayBufferView, got ${kind}`);
}

/** Shared encoder/decoder: stateless, so one pair per module is safe and saves allocations. */
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Bytes of a message, for a binary frame through an API that sends strings as text. */
export function asBytes(message: Message): Uint8Array {
  return typeof message === 'string' ? encoder.encode(message) : message;
}

/** Text of a message, for a text frame through an API that sends bytes as binary. */
export function asText(message: Message): string {
  return typeof message === 'string' ? message : decoder.decode(message);
}
