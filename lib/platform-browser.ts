import { distinctUntilChanged, fromEvent, map, merge, type Observable, of } from 'rxjs';
import type { Platform } from './platform.js';
import type { WebSocketConstructor } from './transport.js';
import { openWeb } from './transport-web.js';

interface BrowserGlobals {
  WebSocket?: WebSocketConstructor;
  navigator?: { onLine?: boolean };
  addEventListener?: unknown;
}

/** The window's online/offline events, starting with `navigator.onLine`. */
function windowOnline(): Observable<boolean> {
  const g = globalThis as BrowserGlobals & EventTarget;
  if (typeof g.addEventListener !== 'function') return of(true);
  return merge(
    of(g.navigator?.onLine !== false),
    fromEvent(g, 'online').pipe(map(() => true)),
    fromEvent(g, 'offline').pipe(map(() => false)),
  ).pipe(distinctUntilChanged());
}

/** Browsers: the global WebSocket through the standard API, and the window's online state. */
export function browserPlatform(): Platform {
  return {
    WebSocket: (globalThis as BrowserGlobals).WebSocket,
    native: false,
    node: false,
    online$: windowOnline,
    open: openWeb,
  };
}
