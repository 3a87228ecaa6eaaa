/**
 * ws-machine for browsers: the same API as on Node, over the page's WebSocket, without `ws`.
 * @packageDocumentation
 */
export * from './api.js';
export { Machine } from './browser.js';
