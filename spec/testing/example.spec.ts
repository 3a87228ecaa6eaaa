// How a user tests their own code that uses a machine: with ws-machine/testing, in virtual time.
// (In a user's project the imports are 'ws-machine/testing' and 'ws-machine'.)
import { expect } from 'chai';
import { mergeMap, tap } from 'rxjs';
import { TestScheduler, type RunHelpers } from 'rxjs/testing';
import { FakeServer, type FakeConnection } from '../../lib/testing/index.js';
import { ChatClient } from './chat-client.js';

// A fake chat server: answers "join" with "joined", and every "say" with a line from the speaker.
function chatServer(server: FakeServer): void {
  server.connection$
    .pipe(
      mergeMap((connection) => {
        let name = '?';
        return connection.received$.pipe(
          tap((frame) => {
            const message = JSON.parse(frame.data as string) as { type: string; name?: string; text?: string };
            if (message.type === 'join') {
              name = message.name ?? '?';
              connection.send(JSON.stringify({ type: 'joined' }));
            } else if (message.type === 'say') {
              connection.send(JSON.stringify({ type: 'line', from: name, text: message.text }));
            }
          }),
        );
      }),
    )
    .subscribe();
}

function sent(connection: FakeConnection | undefined): string[] {
  return (connection?.received ?? []).map((frame) => `${frame.type} ${String(frame.data)}`);
}

describe('testing kit example: unit-testing a ChatClient in virtual time', function () {
  this.timeout(5000);
  let scheduler: TestScheduler;

  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    });
  });

  // scheduler.run() with a safety net: a schedule that never settles (a machine nobody QUITs keeps
  // its timers going) stops at 10 virtual minutes instead of spinning forever. run() resets
  // maxFrames to Infinity when it starts, so the limit is set inside.
  function run(body: (helpers: RunHelpers) => void): void {
    scheduler.run((helpers) => {
      scheduler.maxFrames = 600_000;
      body(helpers);
    });
  }

  it('connects, joins the room, sends and receives (marble style)', () => {
    run(({ expectObservable }) => {
      const server = new FakeServer({ scheduler, latency: 5 });
      chatServer(server);
      const client = new ChatClient('ws://chat.test/ws', 'general', 'ada', { WebSocket: server.WebSocket, scheduler, pingInterval: 0 });
      client.say('hello'); // queued while connecting, sent once joined

      // 5 ms there and 5 back to open; join goes out, "joined" comes back 10 ms later.
      expectObservable(client.connected$).toBe('f 19ms t 79ms (f|)', { f: false, t: true });
      expectObservable(client.lines$).toBe('30ms a 49ms b 19ms |', {
        a: { from: 'ada', text: 'hello' },
        b: { from: 'ada', text: 'again' },
      });
      scheduler.schedule(() => client.say('again'), 70);
      scheduler.schedule(() => client.leave(), 100);
    });
  });

  it('offers its sub-protocol and room, and says who it is before anything else', () => {
    let server!: FakeServer;
    run(() => {
      server = new FakeServer({ scheduler });
      chatServer(server);
      const client = new ChatClient('ws://chat.test/ws', 'rust & go', 'bob', { WebSocket: server.WebSocket, scheduler, pingInterval: 0 });
      client.say('first');
      client.say('second');
      scheduler.schedule(() => client.leave(), 10);
    });
    const connection = server.lastConnection;
    expect(connection.url).to.equal('ws://chat.test/ws?room=rust%20%26%20go');
    expect(connection.protocols).to.deep.equal(['chat.v1']);
    expect(connection.protocol).to.equal('chat.v1');
    expect(sent(connection)).to.deep.equal([
      'text {"type":"join","name":"bob"}',
      'text {"type":"say","text":"first"}',
      'text {"type":"say","text":"second"}',
    ]);
  });

  it('reconnects after the server drops it, waiting retryDelay after a short-lived connection', () => {
    const log: string[] = [];
    let server!: FakeServer;
    run(() => {
      server = new FakeServer({ scheduler });
      chatServer(server);
      const client = new ChatClient('ws://chat.test/ws', 'general', 'cy', {
        WebSocket: server.WebSocket,
        scheduler,
        retryDelay: 1000,
        minUptime: 5000,
        pingInterval: 0,
      });
      client.status$.subscribe((s) =>
        log.push(
          `${scheduler.now()} ${s.state}${s.attempt === undefined ? '' : ` attempt=${s.attempt}`}${s.delay === undefined ? '' : ` delay=${s.delay}`}`,
        ),
      );
      client.lines$.subscribe((line) => log.push(`${scheduler.now()} line ${line.text}`));

      // A drop after a connection that was up for minUptime: back at once, attempt 0.
      scheduler.schedule(() => server.lastConnection.drop(), 6000);
      // A drop before minUptime counts as a failure, but the first one still reconnects at once…
      scheduler.schedule(() => server.lastConnection.drop(), 6100);
      // …and the next one waits retryDelay.
      scheduler.schedule(() => server.lastConnection.drop(), 6200);
      scheduler.schedule(() => server.lastConnection.send(JSON.stringify({ type: 'line', from: 'srv', text: 'back' })), 8000);
      scheduler.schedule(() => client.leave(), 9000);
    });
    expect(log).to.deep.equal([
      '0 CONNECTING attempt=0',
      '0 CONNECTED',
      '6000 DISCONNECTED',
      '6000 CONNECTING attempt=0',
      '6000 CONNECTED',
      '6100 DISCONNECTED',
      '6100 CONNECTING attempt=1',
      '6100 CONNECTED',
      '6200 DISCONNECTED',
      '6200 WAITING attempt=2 delay=1000',
      '7200 CONNECTING attempt=2',
      '7200 CONNECTED',
      '8000 line back',
      '9000 DISCONNECTED',
    ]);
    // Each connection joined the room again.
    expect(server.connections.map((c) => sent(c)[0])).to.deep.equal(Array(4).fill('text {"type":"join","name":"cy"}'));
  });

  it('keeps trying while the server is down, every retryDelay, and connects when it is back', () => {
    const log: string[] = [];
    let server!: FakeServer;
    run(() => {
      server = new FakeServer({ scheduler, answer: 'refuse' });
      chatServer(server);
      const client = new ChatClient('ws://chat.test/ws', 'general', 'di', {
        WebSocket: server.WebSocket,
        scheduler,
        retryDelay: 250,
        pingInterval: 0,
      });
      client.status$.subscribe((s) => log.push(`${scheduler.now()} ${s.state}${s.error ? ` (${s.error.name})` : ''}`));
      scheduler.schedule(() => (server.answer = 'accept'), 600);
      scheduler.schedule(() => client.leave(), 1000);
    });
    expect(log).to.deep.equal([
      '0 CONNECTING',
      '0 DISCONNECTED (ConnectError)',
      '0 WAITING',
      '250 CONNECTING',
      '250 DISCONNECTED (ConnectError)',
      '250 WAITING',
      '500 CONNECTING',
      '500 DISCONNECTED (ConnectError)',
      '500 WAITING',
      '750 CONNECTING',
      '750 CONNECTED',
      '1000 DISCONNECTED',
    ]);
    expect(server.connections.map((c) => c.closed?.by)).to.deep.equal(['server', 'server', 'server', 'client']);
  });

  it('gives up on a connection whose handshake never completes, after connectTimeout', () => {
    const log: string[] = [];
    run(() => {
      const server = new FakeServer({ scheduler }); // accepts, but never answers "join"
      const client = new ChatClient('ws://chat.test/ws', 'general', 'ed', {
        WebSocket: server.WebSocket,
        scheduler,
        connectTimeout: 2000,
        retryDelay: 100,
        pingInterval: 0,
      });
      client.status$.subscribe((s) => log.push(`${scheduler.now()} ${s.state}${s.error ? ` (${s.error.name})` : ''}`));
      scheduler.schedule(() => {
        expect(server.connections.map((c) => c.closed?.by)).to.deep.equal(['client', undefined]);
        client.leave();
      }, 2150);
    });
    expect(log).to.deep.equal([
      '0 CONNECTING',
      '2000 DISCONNECTED (ConnectTimeoutError)',
      '2000 WAITING',
      '2100 CONNECTING',
      '2150 DISCONNECTED',
    ]);
  });

  it('detects a dead connection through its heartbeat, as the fake cannot ping', () => {
    const log: string[] = [];
    let server!: FakeServer;
    run(() => {
      server = new FakeServer({ scheduler });
      chatServer(server); // answers nothing to "ping"
      const client = new ChatClient('ws://chat.test/ws', 'general', 'fay', {
        WebSocket: server.WebSocket,
        scheduler,
        heartbeat: JSON.stringify({ type: 'ping' }),
        pingInterval: 1000,
        pongTimeout: 500,
        retryDelay: 100,
      });
      client.status$.subscribe((s) => log.push(`${scheduler.now()} ${s.state}${s.error ? ` (${s.error.name})` : ''}`));
      scheduler.schedule(() => client.leave(), 1600);
    });
    expect(log).to.deep.equal([
      '0 CONNECTING',
      '0 CONNECTED',
      '1500 DISCONNECTED (PongTimeoutError)',
      '1500 CONNECTING',
      '1500 CONNECTED',
      '1600 DISCONNECTED',
    ]);
    expect(sent(server.connections[0])).to.include('text {"type":"ping"}');
  });

  it('closes with 1000 when it leaves, and completes its streams', () => {
    let server!: FakeServer;
    const ends: string[] = [];
    run(() => {
      server = new FakeServer({ scheduler });
      chatServer(server);
      const client = new ChatClient('ws://chat.test/ws', 'general', 'gus', { WebSocket: server.WebSocket, scheduler, pingInterval: 0 });
      client.lines$.subscribe({ complete: () => ends.push(`${scheduler.now()} lines$`) });
      client.status$.subscribe({ complete: () => ends.push(`${scheduler.now()} status$`) });
      scheduler.schedule(() => client.leave(), 50);
    });
    expect(server.lastConnection.closed).to.deep.equal({ code: 1000, reason: '', wasClean: true, by: 'client' });
    expect(ends).to.have.members(['50 lines$', '50 status$']);
  });
});
