/**
 * The Go original's machine_test.go (TestBadURL, TestConnect, TestReconnect, TestServerDisappear,
 * TestEcho), ported to real `ws` servers on 127.0.0.1.
 */
import { expect } from 'chai';
import { Command, Machine } from '../../lib/index.js';
import { LATE, bytes, echo, nextState, refusedUrl, start, useCleanup, wsServer } from './helpers.js';

describe('integration: the Go original machine_test.go', function () {
  this.timeout(10_000);
  useCleanup();

  describe('TestBadURL', () => {
    it('an unparseable URL or a foreign scheme throws at construction, naming the URL', () => {
      expect(() => new Machine('ws://[::1')).to.throw(SyntaxError, 'ws://[::1');
      expect(() => new Machine('not a url')).to.throw(SyntaxError, 'not a url');
      expect(() => new Machine('ftp://127.0.0.1/x')).to.throw(SyntaxError, 'ftp://127.0.0.1/x');
      expect(() => new Machine(42 as unknown as string)).to.throw(TypeError, /url/);
    });

    it('a host that cannot be reached is a failed attempt: CONNECTING → DISCONNECTED(error) → WAITING, then QUIT → DISCONNECTED', async () => {
      const rec = start(await refusedUrl(), { retryDelay: 10_000 });
      await rec.count(3);
      expect(rec.lines()).to.deep.equal(['CONNECTING a=0', 'DISCONNECTED ConnectError', 'WAITING a=1 d=10000']);
      rec.machine.command.next(Command.QUIT);
      await rec.done();
      expect(rec.lines().slice(3)).to.deep.equal(['DISCONNECTED']);
    });
  });

  it('TestConnect: CONNECTING → CONNECTED, QUIT → DISCONNECTED', async () => {
    const server = await wsServer(echo);
    const rec = start(server.url);
    await rec.count(2);
    rec.machine.command.next(Command.QUIT);
    await rec.done();
    expect(rec.lines()).to.deep.equal(['CONNECTING a=0', 'CONNECTED p=""', 'DISCONNECTED']);
  });

  it('TestConnect with an http: URL (as the Go tests turn httptest URLs into ws:)', async () => {
    const server = await wsServer(echo);
    const rec = start(`http://127.0.0.1:${server.port}/path?q=1`);
    await nextState(rec.machine, 'CONNECTED');
    expect(rec.machine.url).to.equal(`ws://127.0.0.1:${server.port}/path?q=1`);
    expect((await server.peer(1)).req.url).to.equal('/path?q=1');
  });

  it('TestReconnect: the server drops the client → DISCONNECTED → CONNECTING → CONNECTED at once (Go: within 200 ms)', async () => {
    const server = await wsServer(echo);
    const rec = start(server.url);
    await nextState(rec.machine, 'CONNECTED');
    const dropped = Date.now();
    rec.machine.output.next('/CLOSE');
    await rec.count(5);
    // No wait in between (attempt was 0); the Go test's 200 ms, with room for a loaded machine.
    expect(Date.now() - dropped).to.be.below(200 + LATE);
    expect(rec.lines()).to.deep.equal(['CONNECTING a=0', 'CONNECTED p=""', 'DISCONNECTED CloseError', 'CONNECTING a=1', 'CONNECTED p=""']);
    expect(rec.statuses[2]?.error).to.include({ code: 1006 });
    expect(server.peers).to.have.length(2);
  });

  it('TestServerDisappear: DISCONNECTED → CONNECTING → DISCONNECTED → WAITING, a WAITING/CONNECTING loop, then the server comes back on the same port → CONNECTED', async () => {
    const server = await wsServer(echo);
    const rec = start(server.url, { retryDelay: 20, connectTimeout: 500 });
    await nextState(rec.machine, 'CONNECTED');
    rec.machine.output.next('/CLOSE');
    await server.close();
    await rec.nth('WAITING', 3);
    expect(rec.lines().slice(0, 10)).to.deep.equal([
      'CONNECTING a=0',
      'CONNECTED p=""',
      'DISCONNECTED CloseError',
      'CONNECTING a=1',
      'DISCONNECTED ConnectError',
      'WAITING a=2 d=20',
      'CONNECTING a=2',
      'DISCONNECTED ConnectError',
      'WAITING a=3 d=20',
      'CONNECTING a=3',
    ]);

    const again = await wsServer(echo, { port: server.port });
    const connected = await rec.after(rec.statuses.length - 1, 'CONNECTED');
    expect(rec.lines()[connected - 1]).to.match(/^CONNECTING a=\d+$/);
    expect(again.peers).to.have.length(1);
    // Still a working connection.
    rec.machine.output.next('back');
    await rec.received(1);
    expect(bytes(rec.input[0])).to.deep.equal(bytes('back'));
  });

  it('TestEcho: a message sent right away is queued, sent on connect and echoed back', async () => {
    const server = await wsServer(echo);
    const rec = start(server.url);
    const orig = new TextEncoder().encode('Test Message');
    rec.machine.output.next(orig);
    await nextState(rec.machine, 'CONNECTED');
    await rec.received(1);
    expect(rec.input[0]).to.be.instanceOf(Uint8Array);
    expect(bytes(rec.input[0])).to.deep.equal([...orig]);
    rec.machine.command.next(Command.QUIT);
    await rec.done();
    expect(rec.lines().at(-1)).to.equal('DISCONNECTED');
  });
});
