/**
 * The testing kit, `ws-machine/testing`: an in-memory WebSocket server and the WebSocket
 * constructor that talks to it, to unit-test code that uses a machine with no network, in
 * virtual time (RxJS `TestScheduler`) or in real time.
 *
 * @example
 * ```ts
 * import { FakeServer } from 'ws-machine/testing';
 *
 * const server = new FakeServer({ scheduler: testScheduler });
 * const machine = new Machine('ws://test/', { WebSocket: server.WebSocket, scheduler: testScheduler });
 * ```
 *
 * @packageDocumentation
 */
export {
  FakeServer,
  FakeWebSocket,
  FakeMessageEvent,
  FakeCloseEvent,
  type FakeServerOptions,
  type FakeConnection,
  type FakeFrame,
  type FakeClose,
  type FakeAnswer,
  type FakeEventHandler,
  type FakeWebSocketConstructor,
  type FakeWebSocketEventMap,
  type FakeEventListener,
  type FakeListenerOptions,
} from './fake.js';
