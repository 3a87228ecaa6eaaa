/**
 * ws-machine for Node.js: a WebSocket connection that simply stays up, as RxJS streams.
 * @packageDocumentation
 */
export * from './api.js';
export { Machine } from './node.js';
