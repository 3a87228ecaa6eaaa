// The platform-independent public surface, listed once: each entry point adds its own `Machine`.
export { State, Command } from './types.js';
export type { Status, ConnectingStatus, ConnectedStatus, WaitingStatus, DisconnectedStatus, Message, Sendable, Format } from './types.js';
export type { MachineOptions, UrlProvider, HeadersOption, Link, TlsOptions } from './options.js';
export type { WebSocketLike, WebSocketConstructor } from './transport.js';
export { backoff } from './backoff.js';
export { json, type Codec } from './codec.js';
export type { ChannelSpec } from './channel.js';
export type { RequestOptions } from './request.js';
export type { Stats } from './stats.js';
export {
  MachineError,
  ConnectError,
  UpgradeError,
  ConnectTimeoutError,
  HandshakeError,
  CloseError,
  PongTimeoutError,
  ReconnectError,
  DecodeError,
  RequestError,
  CallbackError,
  type RequestErrorReason,
} from './errors.js';
export type { MachineCore } from './machine.js';
