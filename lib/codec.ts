import type { Format, Message, Sendable } from './types.js';

/**
 * Turns application values into frames and frames into values. `encode` runs in `output.next`
 * (and for channel and request messages), so a value it refuses throws there; `decode` runs once
 * per received message, before `input$`, and a message it rejects goes to `errors$`.
 *
 * @example
 * ```ts
 * import { Machine, type Codec, type Message } from 'ws-machine';
 * const lines: Codec<string, string> = {
 *   encode: (line) => `${line}\n`,
 *   decode: (message: Message) => (typeof message === 'string' ? message.trimEnd() : new TextDecoder().decode(message)),
 *   format: 'text',
 * };
 * const machine = new Machine('ws://127.0.0.1:8080/', { codec: lines });
 * ```
 */
export interface Codec<In, Out> {
  /** A value to send, as a frame's payload; throw to refuse the value. */
  encode(value: Out): Sendable;
  /** A received message as a value; throw to reject the message. */
  decode(message: Message): In;
  /** The frame type to send when the `format` option is not given. */
  readonly format?: Format;
}

/**
 * JSON over text frames: `encode` is `JSON.stringify` (a value with no JSON form, such as
 * `undefined` or a function, is refused), `decode` parses text frames and UTF-8 binary frames.
 * The type parameters are what you expect to receive and what you send; they are not checked
 * at run time.
 *
 * @example
 * ```ts
 * import { Machine, json } from 'ws-machine';
 * type Tick = { symbol: string; price: number };
 * type Cmd = { op: 'subscribe' | 'unsubscribe'; symbol: string };
 * const machine = new Machine('ws://127.0.0.1:8080/', { codec: json<Tick, Cmd>() });
 * machine.output.next({ op: 'subscribe', symbol: 'ACME' });
 * machine.input$.subscribe((tick) => console.log(tick.symbol, tick.price));
 * ```
 */
export function json<In = unknown, Out = unknown>(): Codec<In, Out> {
  // fatal: bytes that are not UTF-8 are a decode error, not replacement characters in the data.
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  return {
    encode(value) {
      const text = JSON.stringify(value) as string | undefined;
      if (text === undefined) throw new TypeError(`${typeof value} has no JSON form`);
      return text;
    },
    decode(message) {
      return JSON.parse(typeof message === 'string' ? message : utf8.decode(message)) as In;
    },
    format: 'text',
  };
}
