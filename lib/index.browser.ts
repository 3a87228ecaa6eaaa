/**
 * ws-machine for browsers: the same API as on Node, over the global WebSocket, without `ws`.
 * @packageDocumentation
 */
export { Machine } from './machine-browser.js';
export { State, Command } from './types.js';
export type { Status, Message, Sendable, Format } from './types.js';
export type {
  MachineOptions,
  UrlProvider,
  HeadersOption,
  Link,
  WebSocketLike,
  WebSocketConstructor,
  TlsOptions,
} from './options.js';
export { backoff } from './options.js';
export {
  MachineError,
  ConnectError,
  UpgradeError,
  ConnectTimeoutError,
  HandshakeError,
  CloseError,
  PongTimeoutError,
  ReconnectError,
} from './errors.js';
export type { MachineCore } from './machine.js';
