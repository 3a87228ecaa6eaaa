import { MachineCore } from './machine.js';
import type { MachineOptions, UrlProvider } from './options.js';
import { nodePlatform } from './platform-node.js';

/**
 * {@inheritDoc MachineCore}
 *
 * On Node the socket is `ws`, driven through its own API (pings, headers, TLS, proxies).
 */
export class Machine extends MachineCore {
  /** {@inheritDoc MachineCore.constructor} */
  constructor(url: string | URL | UrlProvider, options?: MachineOptions) {
    super(url, options, nodePlatform);
  }
}
