import { MachineCore } from './machine.js';
import type { MachineOptions, UrlProvider } from './options.js';
import { browserPlatform } from './platform-browser.js';

/**
 * {@inheritDoc MachineCore}
 *
 * In a browser the socket is the page's WebSocket; a relative URL resolves against the page, and
 * `headers`, `tls` and `agent` cannot be set.
 */
export class Machine extends MachineCore {
  /** {@inheritDoc MachineCore.constructor} */
  constructor(url: string | URL | UrlProvider, options?: MachineOptions) {
    super(url, options, browserPlatform());
  }
}
