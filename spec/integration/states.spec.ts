/**
 * API.md Behaviour, state sequences: connect, failed attempts, drops, the attempt/minUptime rule,
 * the connect timeout, the negotiated protocol and Command.RECONNECT, each against a real socket.
 */
import { expect } from 'chai';
import { CloseError, Command, ConnectError, ConnectTimeoutError, ReconnectError, UpgradeError } from '../../lib/index.js';
import { WAIT, expectDue, nextState, pause, recordOnly, refusedUrl, silentServer, start, until, useCleanup, wsServer } from './helpers.js';

describe('integration: state sequences', function () {
  this.timeout(10_000);
  useCleanup();

  it('the first status is CONNECTING with attempt 0, replayed synchronously to a subscriber that comes right after construction', async () => {
    const server = await wsServer();
    const rec = start(server.url);
    expect(rec.lines()).to.deep.equal(['CONNECTING a=0']);
    await nextState(rec.machine, 'CONNECTED');
    // Replays the current status (and only it) to a new subscriber, synchronously.
    const late: string[] = [];
    rec.machine.state$.subscribe((s) => late.push(s.state)).unsubscribe();
    expect(late).to.deep.equal(['CONNECTED']);
  });

  describe('CONNECTED carries the negotiated protocol', () => {
    it("'' when none was offered", async () => {
      const server = await wsServer();
      const rec = start(server.url);
      const status = await nextState(rec.machine, 'CONNECTED');
      expect(status).to.deep.equal({ state: 'CONNECTED', protocol: '' });
    });

    it('the one the server chose among `protocols`', async () => {
      const server = await wsServer(recordOnly, { handleProtocols: (offered) => (offered.has('v1.chat') ? 'v1.chat' : false) });
      const rec = start(server.url, { protocols: ['v2.chat', 'v1.chat'] });
      const status = await nextState(rec.machine, 'CONNECTED');
      expect(status).to.deep.equal({ state: 'CONNECTED', protocol: 'v1.chat' });
      expect((await server.peer(1)).req.headers['sec-websocket-protocol']).to.equal('v2.chat,v1.chat');
    });

    it('a single string `protocols` is offered as it is', async () => {
      const server = await wsServer();
      const rec = start(server.url, { protocols: 'only' });
      const status = await nextState(rec.machine, 'CONNECTED');
      expect(status.protocol).to.equal('only');
      expect((await server.peer(1)).req.headers['sec-websocket-protocol']).to.equal('only');
    });
  });

  describe('a failed attempt: CONNECTING → DISCONNECTED(error) → WAITING(attempt, delay) → CONNECTING', () => {
    it('refused: attempts count 0, 1, 2 and each wait lasts retryDelay(attempt)', async () => {
      const delays: number[] = [];
      const rec = start(await refusedUrl(), {
        retryDelay: (attempt) => {
          delays.push(attempt);
          return attempt * 30;
        },
      });
      await rec.nth('CONNECTING', 3);
      expect(rec.lines().slice(0, 7)).to.deep.equal([
        'CONNECTING a=0',
        'DISCONNECTED ConnectError',
        'WAITING a=1 d=30',
        'CONNECTING a=1',
        'DISCONNECTED ConnectError',
        'WAITING a=2 d=60',
        'CONNECTING a=2',
      ]);
      expect(delays.slice(0, 2)).to.deep.equal([1, 2]);
      // The wait lasts `delay` ms (a timer never fires early; allow generous lateness).
      const wait1 = (rec.times[3] as number) - (rec.times[2] as number);
      const wait2 = (rec.times[6] as number) - (rec.times[5] as number);
      expectDue(wait1, 30, 'the first wait');
      expectDue(wait2, 60, 'the second wait');
      const error = rec.statuses[1]?.error as ConnectError;
      expect(error).to.be.instanceOf(ConnectError);
      expect(error.message).to.include('127.0.0.1');
    });

    it('the default retryDelay waits a random time in [d/2, d], d = 1 s × 2^(attempt−1)', async () => {
      const rec = start(await refusedUrl());
      await nextState(rec.machine, 'WAITING');
      expect(rec.statuses[2]?.attempt).to.equal(1);
      expect(rec.statuses[2]?.delay).to.be.within(500, 1000);
    });

    it('an HTTP error on upgrade is a failed attempt with the status on the error', async () => {
      const server = await wsServer(recordOnly, { verifyClient: (_info, cb) => cb(false, 503, 'Busy') });
      const rec = start(server.url, { retryDelay: 20 });
      await rec.nth('CONNECTING', 2);
      expect(rec.lines().slice(0, 4)).to.deep.equal(['CONNECTING a=0', 'DISCONNECTED UpgradeError', 'WAITING a=1 d=20', 'CONNECTING a=1']);
      const error = rec.statuses[1]?.error as UpgradeError;
      expect(error).to.be.instanceOf(UpgradeError);
      expect(error.status).to.equal(503);
    });

    it('an upgrade never answered: DISCONNECTED(ConnectTimeoutError) after connectTimeout, then WAITING; that socket is closed', async () => {
      const server = await silentServer();
      const rec = start(server.url, { connectTimeout: 200, retryDelay: 10_000 });
      await rec.count(3);
      expect(rec.lines()).to.deep.equal(['CONNECTING a=0', 'DISCONNECTED ConnectTimeoutError', 'WAITING a=1 d=10000']);
      const error = rec.statuses[1]?.error as ConnectTimeoutError;
      expect(error).to.be.instanceOf(ConnectTimeoutError);
      expect(error.timeout).to.equal(200);
      const took = (rec.times[1] as number) - (rec.times[0] as number);
      expectDue(took, 200);
      expect(server.sockets).to.have.length(1);
      await until(() => server.closedCount() === 1, WAIT, 'the timed-out socket to be closed');
    });
  });

  it('a URL object is accepted; machine.url is its string', async () => {
    const server = await wsServer();
    const rec = start(new URL(server.url + 'x?y=1'));
    await nextState(rec.machine, 'CONNECTED');
    expect(rec.machine.url)
      .to.be.a('string')
      .and.equal(server.url + 'x?y=1');
  });

  describe('a connection that drops', () => {
    it('server closes with a code: CONNECTED → DISCONNECTED(CloseError with code and reason) → CONNECTING at once (attempt was 0)', async () => {
      const server = await wsServer((peer, i) => {
        if (i === 0) peer.socket.close(4000, 'bye');
      });
      const rec = start(server.url, { retryDelay: 10_000 });
      await rec.nth('CONNECTED', 2);
      expect(rec.lines()).to.deep.equal([
        'CONNECTING a=0',
        'CONNECTED p=""',
        'DISCONNECTED CloseError',
        'CONNECTING a=1',
        'CONNECTED p=""',
      ]);
      expect(rec.statuses[2]?.error).to.be.instanceOf(CloseError).and.include({ code: 4000, reason: 'bye' });
    });

    it('a clean close by the server (1000, or no code: 1005) is a drop like any other', async () => {
      const server = await wsServer(({ socket }, i) => {
        if (i === 0) socket.close(1000, 'going away');
        else if (i === 1) socket.close();
      });
      const rec = start(server.url, { minUptime: 0 });
      await rec.nth('CONNECTED', 3);
      expect(rec.lines()).to.deep.equal([
        'CONNECTING a=0',
        'CONNECTED p=""',
        'DISCONNECTED CloseError',
        'CONNECTING a=0',
        'CONNECTED p=""',
        'DISCONNECTED CloseError',
        'CONNECTING a=0',
        'CONNECTED p=""',
      ]);
      expect(rec.statuses[2]?.error).to.include({ code: 1000, reason: 'going away' });
      expect(rec.statuses[5]?.error).to.include({ code: 1005 });
    });

    it('a server that accepts and drops every connection gets waits that grow, attempts 0, 1, 2, 3 … (minUptime large)', async () => {
      const server = await wsServer(({ socket }) => socket.terminate());
      const rec = start(server.url, { minUptime: 60_000, retryDelay: (attempt) => attempt * 10 });
      await rec.nth('CONNECTING', 5);
      expect(rec.lines().slice(0, 15)).to.deep.equal([
        'CONNECTING a=0',
        'CONNECTED p=""',
        'DISCONNECTED CloseError',
        'CONNECTING a=1', // at once: attempt was 0 when it dropped
        'CONNECTED p=""',
        'DISCONNECTED CloseError',
        'WAITING a=2 d=20',
        'CONNECTING a=2',
        'CONNECTED p=""',
        'DISCONNECTED CloseError',
        'WAITING a=3 d=30',
        'CONNECTING a=3',
        'CONNECTED p=""',
        'DISCONNECTED CloseError',
        'WAITING a=4 d=40',
      ]);
    });

    it('a connection that stayed up minUptime resets attempt to 0 and reconnects at once (minUptime short)', async () => {
      // Connections 1 and 2 are dropped at once, 3 after 150 ms (longer than minUptime), 4 stays.
      const server = await wsServer(({ socket }, i) => {
        if (i < 2) socket.terminate();
        else if (i === 2) setTimeout(() => socket.terminate(), 150);
      });
      const rec = start(server.url, { minUptime: 50, retryDelay: 20 });
      await rec.nth('CONNECTED', 4);
      expect(rec.lines()).to.deep.equal([
        'CONNECTING a=0',
        'CONNECTED p=""',
        'DISCONNECTED CloseError',
        'CONNECTING a=1',
        'CONNECTED p=""',
        'DISCONNECTED CloseError',
        'WAITING a=2 d=20',
        'CONNECTING a=2',
        'CONNECTED p=""',
        'DISCONNECTED CloseError',
        'CONNECTING a=0', // it had been up minUptime: no longer a failure, no wait
        'CONNECTED p=""',
      ]);
    });

    it('the same drop after less than minUptime counts as a failure and waits', async () => {
      const server = await wsServer(({ socket }, i) => {
        if (i < 2) socket.terminate();
        else if (i === 2) setTimeout(() => socket.terminate(), 60);
      });
      const rec = start(server.url, { minUptime: 5000, retryDelay: 20 });
      await rec.nth('CONNECTED', 4);
      expect(rec.lines().slice(8)).to.deep.equal([
        'CONNECTED p=""',
        'DISCONNECTED CloseError',
        'WAITING a=3 d=20',
        'CONNECTING a=3',
        'CONNECTED p=""',
      ]);
    });
  });

  describe('Command.RECONNECT', () => {
    it('in WAITING: tries at once instead of waiting out the delay', async () => {
      let upgrades = 0;
      const server = await wsServer(recordOnly, { verifyClient: (_info, cb) => cb(upgrades++ > 0, 503) }); // refuses the first
      const rec = start(server.url, { retryDelay: 60_000 });
      await nextState(rec.machine, 'WAITING');
      const asked = Date.now();
      rec.machine.command.next(Command.RECONNECT);
      await nextState(rec.machine, 'CONNECTED');
      expect(Date.now() - asked).to.be.below(5000); // the wait would have been 60 s
      expect(rec.lines()).to.deep.equal([
        'CONNECTING a=0',
        'DISCONNECTED UpgradeError',
        'WAITING a=1 d=60000',
        'CONNECTING a=1',
        'CONNECTED p=""',
      ]);
    });

    it('in CONNECTED: DISCONNECTED(ReconnectError) → CONNECTING → CONNECTED; the old socket is closed with 1000', async () => {
      const server = await wsServer();
      const rec = start(server.url);
      await nextState(rec.machine, 'CONNECTED');
      rec.machine.command.next(Command.RECONNECT);
      await rec.nth('CONNECTED', 2);
      expect(rec.lines()).to.deep.equal([
        'CONNECTING a=0',
        'CONNECTED p=""',
        'DISCONNECTED ReconnectError',
        'CONNECTING a=0',
        'CONNECTED p=""',
      ]);
      const error = rec.statuses[2]?.error as ReconnectError;
      expect(error).to.be.instanceOf(ReconnectError);
      expect(error.message).to.match(/reconnect/i);
      const first = await server.peer(1);
      await until(() => first.closed !== undefined, WAIT, 'the first connection to close');
      expect(first.closed?.code).to.equal(1000);
      expect(server.peers).to.have.length(2);
    });

    it('in CONNECTED: what was sent before goes out on the old socket, what is sent after on the new one', async () => {
      const server = await wsServer();
      const rec = start(server.url);
      await nextState(rec.machine, 'CONNECTED');
      rec.machine.output.next('before');
      rec.machine.command.next(Command.RECONNECT);
      rec.machine.output.next('after');
      const [first, second] = [await server.peer(1), await server.peer(2)];
      await until(() => first.closed !== undefined && second.frames.length === 1, WAIT, 'both frames');
      expect(first.frames.map((f) => f.data.toString())).to.deep.equal(['before']);
      expect(second.frames.map((f) => f.data.toString())).to.deep.equal(['after']);
    });

    it('in CONNECTING: does nothing', async () => {
      const server = await silentServer();
      const rec = start(server.url, { connectTimeout: 300, retryDelay: 10_000 });
      await until(() => server.sockets.length === 1, WAIT, 'the TCP connection');
      rec.machine.command.next(Command.RECONNECT);
      await pause(60);
      expect(rec.lines()).to.deep.equal(['CONNECTING a=0']);
      expect(server.sockets).to.have.length(1);
      expect(server.closedCount()).to.equal(0);
      await rec.count(3);
      expect(rec.lines()).to.deep.equal(['CONNECTING a=0', 'DISCONNECTED ConnectTimeoutError', 'WAITING a=1 d=10000']);
    });

    it('in DISCONNECTED after stop: ignored', async () => {
      const server = await wsServer();
      const rec = start(server.url);
      await nextState(rec.machine, 'CONNECTED');
      rec.machine.command.next(Command.QUIT);
      rec.machine.command.next(Command.RECONNECT);
      await pause(50);
      expect(rec.lines()).to.deep.equal(['CONNECTING a=0', 'CONNECTED p=""', 'DISCONNECTED']);
      expect(server.peers).to.have.length(1);
    });
  });
});
