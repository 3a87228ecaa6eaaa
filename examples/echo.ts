/**
 * echo: the Go README's example, against a local echo server instead of echo.websocket.org.
 *
 *   npx tsx examples/echo.ts        (or: npm run example:echo)
 *
 * It prints every state change, sends two text messages and one binary message, prints each echo,
 * then quits. Everything stays on 127.0.0.1.
 */
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { WebSocketServer } from 'ws';
import { Command, Machine, State, type Message } from '../lib/index.js';

// A local echo server: every frame goes back as it came, text as text and binary as binary.
const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
server.on('connection', (socket) => socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary })));
await once(server, 'listening');
const { port } = server.address() as AddressInfo;

const machine = new Machine(`ws://127.0.0.1:${port}/`);
machine.command.next(Command.USE_TEXT); // as in the Go README: text frames (the default is binary)

const script: Message[] = ['hello', 'ws-machine', Uint8Array.of(0xca, 0xfe, 0xba, 0xbe)];
let next = 0;

/** Sends the next scripted message, or quits when there is none left. */
function sendNext(): void {
  const message = script[next++];
  if (message === undefined) {
    machine.command.next(Command.QUIT);
    return;
  }
  if (typeof message !== 'string') machine.command.next(Command.USE_BINARY);
  console.log('SEND: ', show(message));
  machine.output.next(message);
}

machine.state$.subscribe({
  next: ({ state, error }) => {
    console.log('STATE:', error ? `${state} (${error.message})` : state);
    if (state === State.CONNECTED) sendNext();
  },
  // The machine has stopped and closed its socket: the server can go, and the process ends.
  complete: () => server.close(),
});

machine.input$.subscribe((message) => {
  console.log('INPUT:', show(message));
  sendNext();
});

function show(message: Message): string {
  if (typeof message === 'string') return `text "${message}"`;
  return `binary <${Buffer.from(message.buffer, message.byteOffset, message.byteLength).toString('hex')}>`;
}
