import WebSocket from 'ws';
import type { Platform, WebSocketConstructor } from './options.js';
import { openWs } from './transport-ws.js';
import type { Opener } from './machine.js';

/** Node: `ws`, driven through its own API; no default online$. */
export const nodePlatform: Platform & { open: Opener } = {
  WebSocket: WebSocket as unknown as WebSocketConstructor,
  native: true,
  node: true,
  online$: undefined,
  open: openWs,
};
