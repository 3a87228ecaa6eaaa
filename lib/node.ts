import { MachineCore } from './machine.js';
import type { MachineOptions, UrlProvider } from './options.js';
import { nodePlatform } from './platform-node.js';
import type { Message, Sendable } from './types.js';

/** {@inheritDoc MachineCore} */
export class Machine<In = Message, Out = Sendable> extends MachineCore<In, Out> {
  /**
   * @param url - `ws:`, `wss:`, `http:` or `https:` URL (relative to the page in a browser), or a
   *   function giving one (or a Promise of one) before every attempt.
   * @param options - see {@link MachineOptions}.
   * @throws TypeError, SyntaxError or RangeError naming the URL or option that is wrong.
   */
  constructor(url: string | URL | UrlProvider, options?: MachineOptions<In, Out>) {
    super(url, options, nodePlatform);
  }
}
