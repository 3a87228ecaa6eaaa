/**
 * ws-machine for Node.js: a WebSocket connection that simply stays up, as RxJS streams.
 * @packageDocumentation
 */
export { Machine } from './machine-node.js';
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
