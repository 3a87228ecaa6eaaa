import WebSocket from 'ws';
import type { Platform } from './platform.js';
import { openWeb } from './transport-web.js';
import { openWs } from './transport-ws.js';

/**
 * Node: `ws`, driven through its own API; a `WebSocket` option is driven through the standard API.
 * No default `online$`.
 */
export const nodePlatform: Platform = {
  WebSocket,
  native: true,
  node: true,
  online$: undefined,
  open: (config, request, sink) => (config.native ? openWs : openWeb)(config, request, sink),
};
