import { MachineCore } from './machine.js';
import type { MachineOptions, UrlProvider } from './options.js';
import { nodePlatform } from './platform-node.js';
import type { Message, Sendable } from './types.js';

/**
 * {@inheritDoc MachineCore}
 *
 * On Node the socket is `ws`, driven through its own API (pings, headers, TLS, proxies).
 */
export class Machine<In = Message, Out = Sendable> extends MachineCore<In, Out> {
  /** {@inheritDoc MachineCore.constructor} */
  constructor(url: string | URL | UrlProvider, options?: MachineOptions<In, Out>) {
    super(url, options, nodePlatform);
  }
}
