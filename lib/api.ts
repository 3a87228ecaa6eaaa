// The platform-independent public surface, listed once: each entry point adds its own `Machine`.
export { State, Command } from './types.js';
export type { Status, Message, Sendable, Format } from './types.js';
export type { MachineOptions, UrlProvider, HeadersOption, Link, TlsOptions } from './options.js';
export type { WebSocketLike, WebSocketConstructor } from './transport.js';
export { backoff } from './backoff.js';
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
