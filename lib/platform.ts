import type { Observable } from 'rxjs';
import type { Opener, WebSocketConstructor } from './transport.js';

/**
 * What a platform (Node, browser) gives a machine: the one seam between the platform-independent
 * core and the sockets it drives. The Node and browser entry points each build their `Machine`
 * from one of these.
 */
export interface Platform {
  /** The platform's own socket layer, used when no `WebSocket` option is given. */
  readonly WebSocket: WebSocketConstructor | undefined;
  /** True where the default socket is `ws`, driven through its own API (pings, headers, TLS). */
  readonly native: boolean;
  /** Headers, TLS, an agent and redirects are only possible on Node. */
  readonly node: boolean;
  /** The default `online$` (browsers: window events), or none. */
  readonly online$: (() => Observable<boolean>) | undefined;
  /** Opens one attempt's socket, natively or through the standard API as the config says. */
  readonly open: Opener;
}
