/**
 * The `WebSocket` option: `ws`'s WebSocket class passed as a constructor is driven through the
 * standard WHATWG API (lib/transport-web.ts), as a browser's would be. Echo, reconnect, QUIT,
 * the heartbeat keep-alive, and how the constructor is called.
 */
import { expect } from 'chai';
import { WebSocket, type ClientOptions } from 'ws';
import { CloseError, Command, PongTimeoutError, UpgradeError, type MachineOptions, type WebSocketConstructor } from '../../lib/index.js';
import {
  bytes,
  echo,
  frameLine,
  nextState,
  pause,
  recordOnly,
  refusedUrl,
  resources,
  settles,
  silentServer,
  start,
  until,
  useCleanup,
  wsServer,
  type Frame,
  WAIT,
  expectDue,
} from './helpers.js';

const Web = WebSocket as unknown as WebSocketConstructor;

/** Starts a machine on the WHATWG path. */
function startWeb(url: string, options: MachineOptions = {}): ReturnType<typeof start> {
  return start(url, { WebSocket: Web, ...options });
}

describe('integration: the WebSocket option (WHATWG API path)', function () {
  this.timeout(10_000);
  useCleanup();

  it('echo: queued and live messages both ways; text as string, binary as Uint8Array; frame types as asked', async () => {
    const server = await wsServer(echo);
    const rec = startWeb(server.url);
    rec.machine.output.next('queued');
    await nextState(rec.machine, 'CONNECTED');
    const backing = new Uint8Array([0, 0, 0, 5, 6, 7, 0]);
    rec.machine.output.next(backing.subarray(3, 6)); // byteOffset 3
    rec.machine.output.next(new DataView(backing.buffer, 4, 2));
    rec.machine.output.next(new Uint8Array([1]).buffer);
    rec.machine.command.next(Command.USE_TEXT);
    rec.machine.output.next('text');
    rec.machine.output.next(new TextEncoder().encode('bytes as text'));
    await rec.received(6);
    const peer = await server.peer(1);
    expect(peer.frames.map((f) => f.binary)).to.deep.equal([true, true, true, true, false, false]);
    expect(rec.input.slice(0, 4).every((m) => m instanceof Uint8Array)).to.equal(true);
    expect(rec.input.slice(0, 4).map((m) => bytes(m))).to.deep.equal([bytes('queued'), [5, 6, 7], [6, 7], [1]]);
    expect(rec.input.slice(4)).to.deep.equal(['text', 'bytes as text']);
  });

  it('CONNECTED carries the negotiated protocol', async () => {
    const server = await wsServer(recordOnly, { handleProtocols: () => 'v2' });
    const rec = startWeb(server.url, { protocols: ['v1', 'v2'] });
    expect(await nextState(rec.machine, 'CONNECTED')).to.deep.equal({ state: 'CONNECTED', protocol: 'v2' });
  });

  it('reconnect: the server drops the client → DISCONNECTED(CloseError) → CONNECTING → CONNECTED', async () => {
    const server = await wsServer(echo);
    const rec = startWeb(server.url);
    await nextState(rec.machine, 'CONNECTED');
    rec.machine.output.next('/CLOSE');
    await rec.nth('CONNECTED', 2);
    expect(rec.lines()).to.deep.equal(['CONNECTING a=0', 'CONNECTED p=""', 'DISCONNECTED CloseError', 'CONNECTING a=1', 'CONNECTED p=""']);
    expect(rec.statuses[2]?.error).to.include({ code: 1006 });
  });

  it('a close code and reason are readable on the error', async () => {
    const server = await wsServer(({ socket }) => socket.close(4001, 'token expired'));
    const rec = startWeb(server.url, { shouldReconnect: (e) => !(e instanceof CloseError && e.code === 4001) });
    await rec.done();
    expect(rec.lines()).to.deep.equal(['CONNECTING a=0', 'CONNECTED p=""', 'DISCONNECTED CloseError']);
    expect(rec.statuses[2]?.error).to.include({ code: 4001, reason: 'token expired' });
  });

  it('refused, and an HTTP error on upgrade, are failed attempts', async () => {
    const refused = startWeb(await refusedUrl(), { retryDelay: 10_000 });
    await refused.count(3);
    expect(refused.lines()).to.deep.equal(['CONNECTING a=0', 'DISCONNECTED ConnectError', 'WAITING a=1 d=10000']);

    const server = await wsServer(recordOnly, { verifyClient: (_info, cb) => cb(false, 401) });
    const rec = startWeb(server.url, { retryDelay: 10_000 });
    await rec.count(3);
    // A browser hides the HTTP status; `ws` behind the standard API names it, so it is readable.
    expect(rec.lines()).to.deep.equal(['CONNECTING a=0', 'DISCONNECTED UpgradeError', 'WAITING a=1 d=10000']);
    expect(rec.statuses[1]?.error).to.be.instanceOf(UpgradeError).and.include({ status: 401 });
  });

  it('an upgrade never answered: ConnectTimeoutError after connectTimeout, that socket closed', async () => {
    const server = await silentServer();
    const rec = startWeb(server.url, { connectTimeout: 200, retryDelay: 10_000 });
    await rec.count(3);
    expect(rec.lines()).to.deep.equal(['CONNECTING a=0', 'DISCONNECTED ConnectTimeoutError', 'WAITING a=1 d=10000']);
    await until(() => server.closedCount() === 1, WAIT, 'the socket to be closed');
  });

  describe('QUIT', () => {
    it('from CONNECTED: one DISCONNECTED, streams complete, the server sees 1000, nothing of ours is left', async () => {
      const server = await wsServer();
      const baseline = resources();
      const rec = startWeb(server.url, { heartbeat: 'hb', pingInterval: 50 });
      await nextState(rec.machine, 'CONNECTED');
      rec.machine.command.next(Command.QUIT);
      expect(rec.lines()).to.deep.equal(['CONNECTING a=0', 'CONNECTED p=""', 'DISCONNECTED']);
      expect([rec.stateDone, rec.inputDone]).to.deep.equal([true, true]);
      const peer = await server.peer(1);
      await until(() => peer.closed !== undefined, WAIT, 'the close');
      expect(peer.closed).to.deep.equal({ code: 1000, reason: '' });
      await settles(baseline);
    });

    it('from CONNECTING and from WAITING: one DISCONNECTED, nothing of ours is left', async () => {
      const server = await silentServer();
      const url = await refusedUrl();
      const baseline = resources();
      const connecting = startWeb(server.url);
      await until(() => server.sockets.length === 1, WAIT, 'the TCP connection');
      connecting.machine.command.complete();
      expect(connecting.lines()).to.deep.equal(['CONNECTING a=0', 'DISCONNECTED']);

      const waiting = startWeb(url, { retryDelay: 60_000 });
      await nextState(waiting.machine, 'WAITING');
      waiting.machine.command.error(new Error('done'));
      expect(waiting.lines().slice(-2)).to.deep.equal(['WAITING a=1 d=60000', 'DISCONNECTED']);
      expect([connecting.stateDone, waiting.stateDone]).to.deep.equal([true, true]);
      await until(() => server.closedCount() === 1, WAIT, 'the socket to be closed');
      await settles(baseline);
    });
  });

  describe('heartbeat keep-alive', () => {
    /** Answers every heartbeat (`hb`) with `ack`, the first `answers` of them. */
    const answering =
      (answers = Infinity) =>
      ({ socket }: { socket: WebSocket }) => {
        let answered = 0;
        socket.on('message', (data: Buffer) => {
          if (data.toString() === 'hb' && answered++ < answers) socket.send('ack');
        });
      };

    it('a quiet connection whose server answers the heartbeat stays CONNECTED across several intervals; heartbeats use the current format', async () => {
      const server = await wsServer(answering());
      const rec = startWeb(server.url, { heartbeat: 'hb', pingInterval: 40, pongTimeout: 1000 });
      await nextState(rec.machine, 'CONNECTED');
      const peer = await server.peer(1);
      await until(() => peer.frames.length >= 4, WAIT, 'four heartbeats');
      expect(rec.lines()).to.deep.equal(['CONNECTING a=0', 'CONNECTED p=""']);
      expect(new Set(peer.frames.map(frameLine))).to.deep.equal(new Set(['b:hb']));
      expect(peer.pings).to.equal(0); // the WHATWG API cannot ping
      rec.machine.command.next(Command.USE_TEXT);
      await until(() => peer.frames.at(-1)?.binary === false, WAIT, 'a text heartbeat');
      expect(frameLine(peer.frames.at(-1) as Frame)).to.equal('t:hb');
    });

    it('a server that stops answering: PongTimeoutError pingInterval + pongTimeout after the last frame, then a reconnect', async () => {
      const server = await wsServer(answering(2));
      const rec = startWeb(server.url, { heartbeat: 'hb', pingInterval: 60, pongTimeout: 300, minUptime: 60_000, retryDelay: 10_000 });
      await rec.nth('CONNECTED', 2);
      expect(rec.lines().slice(0, 5)).to.deep.equal([
        'CONNECTING a=0',
        'CONNECTED p=""',
        'DISCONNECTED PongTimeoutError',
        'CONNECTING a=1',
        'CONNECTED p=""',
      ]);
      expect(rec.statuses[2]?.error).to.be.instanceOf(PongTimeoutError);
      expect(rec.input.slice(0, 2)).to.deep.equal(['ack', 'ack']);
      const took = (rec.times[2] as number) - (rec.inputTimes[1] as number);
      expectDue(took, 360);
      const first = await server.peer(1);
      expect(first.frames.map(frameLine)).to.deep.equal(['b:hb', 'b:hb', 'b:hb']);
    });

    it('Command.PING sends the heartbeat now', async () => {
      const server = await wsServer();
      const rec = startWeb(server.url, { heartbeat: new Uint8Array([104, 98]), pingInterval: 0 });
      await nextState(rec.machine, 'CONNECTED');
      const peer = await server.peer(1);
      rec.machine.command.next(Command.PING);
      await until(() => peer.frames.length === 1, WAIT, 'the heartbeat');
      expect(frameLine(peer.frames[0] as Frame)).to.equal('b:hb');
    });

    it('without a heartbeat keep-alive is off: nothing is sent and the connection stays up', async () => {
      const server = await wsServer(recordOnly, { autoPong: false });
      const rec = startWeb(server.url, { pingInterval: 20, pongTimeout: 20 });
      await nextState(rec.machine, 'CONNECTED');
      rec.machine.command.next(Command.PING); // nothing to send it with
      await pause(90);
      const peer = await server.peer(1);
      expect(peer.frames).to.deep.equal([]);
      expect(peer.pings).to.equal(0);
      expect(rec.lines()).to.deep.equal(['CONNECTING a=0', 'CONNECTED p=""']);
    });
  });

  describe('how the constructor is called', () => {
    let calls: unknown[][] = [];
    class Spy extends WebSocket {
      constructor(...args: unknown[]) {
        calls.push(args);
        super(...(args as [string, string[]?, ClientOptions?]));
      }
    }
    const SpyCtor = Spy as unknown as WebSocketConstructor;
    beforeEach(() => (calls = []));

    it('new WebSocket(url) with neither protocols nor headers', async () => {
      const server = await wsServer();
      const rec = start(server.url, { WebSocket: SpyCtor });
      await nextState(rec.machine, 'CONNECTED');
      expect(calls).to.deep.equal([[server.url]]);
    });

    it('new WebSocket(url, protocols) when protocols is set', async () => {
      const server = await wsServer();
      const rec = start(server.url, { WebSocket: SpyCtor, protocols: 'chat' });
      await nextState(rec.machine, 'CONNECTED');
      expect(calls).to.have.length(1);
      expect(calls[0]).to.have.length(2);
      expect(calls[0]?.[0]).to.equal(server.url);
      expect([calls[0]?.[1]].flat()).to.deep.equal(['chat']);
    });

    it('new WebSocket(url, [], { headers }) only when headers are set; they reach the server', async () => {
      const server = await wsServer();
      const rec = start(server.url, { WebSocket: SpyCtor, headers: { 'x-token': 'abc' } });
      await nextState(rec.machine, 'CONNECTED');
      expect(calls).to.have.length(1);
      expect(calls[0]).to.have.length(3);
      expect(calls[0]?.[1]).to.deep.equal([]);
      expect(calls[0]?.[2]).to.deep.include({ headers: { 'x-token': 'abc' } });
      expect((await server.peer(1)).req.headers['x-token']).to.equal('abc');
    });

    it('new WebSocket(url, protocols, { headers }) with both', async () => {
      const server = await wsServer();
      const rec = start(server.url, { WebSocket: SpyCtor, protocols: ['a', 'b'], headers: () => Promise.resolve({ 'x-n': '1' }) });
      await nextState(rec.machine, 'CONNECTED');
      expect(calls).to.have.length(1);
      expect(calls[0]?.slice(0, 2)).to.deep.equal([server.url, ['a', 'b']]);
      expect(calls[0]?.[2]).to.deep.include({ headers: { 'x-n': '1' } });
    });

    // As with a throwing provider: the failure comes a tick after `new`, so nobody misses it.
    it('a constructor that throws on the first attempt (static URL): a subscriber still sees CONNECTING and DISCONNECTED(ConnectError)', async () => {
      class Broken extends WebSocket {
        constructor(...args: unknown[]) {
          if (args.length > 0) throw new TypeError('cannot construct');
          super('ws://127.0.0.1:1/');
        }
      }
      const server = await wsServer();
      const rec = start(server.url, { WebSocket: Broken as unknown as WebSocketConstructor, retryDelay: 10_000 });
      await rec.count(3);
      expect(rec.lines()).to.deep.equal(['CONNECTING a=0', 'DISCONNECTED ConnectError', 'WAITING a=1 d=10000']);
    });

    it('a constructor that throws is a failed attempt, not a crash', async () => {
      let n = 0;
      class Flaky extends WebSocket {
        constructor(...args: unknown[]) {
          if (n++ === 0) throw new TypeError('cannot construct');
          super(...(args as [string]));
        }
      }
      const server = await wsServer();
      // A URL provider defers the first construction past the constructor, so every status is seen.
      const rec = start(() => Promise.resolve(server.url), { WebSocket: Flaky as unknown as WebSocketConstructor, retryDelay: 20 });
      await nextState(rec.machine, 'CONNECTED');
      expect(rec.lines()).to.deep.equal([
        'CONNECTING a=0',
        'DISCONNECTED ConnectError',
        'WAITING a=1 d=20',
        'CONNECTING a=1',
        'CONNECTED p=""',
      ]);
      expect(rec.statuses[1]?.error?.cause).to.be.instanceOf(TypeError);
    });
  });
});
