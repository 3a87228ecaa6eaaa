import { MachineCore } from './machine.js';
import type { MachineOptions, UrlProvider } from './options.js';
import { browserPlatform } from './platform-browser.js';
import type { Message, Sendable } from './types.js';

/**
 * {@inheritDoc MachineCore}
 *
 * In a browser the socket is the page's WebSocket; a relative URL resolves against the page, and
 * `headers`, `tls` and `agent` cannot be set.
 */
export class Machine<In = Message, Out = Sendable> extends MachineCore<In, Out> {
  /** {@inheritDoc MachineCore.constructor} */
  constructor(url: string | URL | UrlProvider, options?: MachineOptions<In, Out>) {
    super(url, options, browserPlatform());
  }
}
