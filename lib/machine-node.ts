import { MachineCore } from './machine.js';
import type { MachineOptions, UrlProvider } from './options.js';
import { nodePlatform } from './platform-node.js';

/**
 * A WebSocket connection that stays up: a state machine that connects, reads and writes messages,
 * keeps the connection alive with pings, reconnects when it drops and waits between failed
 * attempts. It starts when constructed; `Command.QUIT` (or `command.complete()`) stops it.
 *
 * - `state$`: every status (`CONNECTING`, `CONNECTED`, `DISCONNECTED`, `WAITING`), the current one
 *   replayed to each new subscriber; failures arrive as `Status.error`, the stream never errors.
 * - `input$`: received messages (text as `string`, binary as `Uint8Array`). It is hot: subscribe
 *   before the connection opens (synchronously after construction is fine).
 * - `output`: an Observer to send through; messages are queued while not connected and flushed in
 *   order on connect. Binary frames by default, text after `Command.USE_TEXT`.
 * - `command`: an Observer of `Command`s.
 * - `dropped$`: every message the bounded queue gave up.
 *
 * @example
 * ```ts
 * import { Machine, Command, State } from 'ws-machine';
 *
 * const machine = new Machine('ws://127.0.0.1:8080/echo', { format: 'text' });
 * machine.state$.subscribe((s) => console.log(s.state, s.error?.message ?? ''));
 * machine.input$.subscribe((m) => console.log('got', m));
 * machine.output.next('hello'); // queued until CONNECTED, then sent
 * setTimeout(() => machine.command.next(Command.QUIT), 1000);
 * ```
 */
export class Machine extends MachineCore {
  /**
   * @param url - `ws:`, `wss:`, `http:` or `https:` URL, or a function giving one (or a Promise of
   *   one) before every attempt.
   * @param options - see {@link MachineOptions}.
   * @throws TypeError, SyntaxError or RangeError naming the URL or option that is wrong.
   */
  constructor(url: string | URL | UrlProvider, options?: MachineOptions) {
    super(url, options, nodePlatform);
  }
}
