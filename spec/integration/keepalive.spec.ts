/**
 * API.md Keep-alive on Node's native path: protocol pings after `pingInterval` ms of silence, a dead
 * connection after `pongTimeout` ms without a frame, and Command.PING.
 */
import { expect } from 'chai';
import { Command, PongTimeoutError } from '../../lib/index.js';
import { WAIT, expectDue, nextState, pause, recordOnly, start, until, useCleanup, wsServer } from './helpers.js';

// Deadlines are checked as lower bounds with a generous upper bound (expectDue); the exact ones
// are pinned in virtual time in spec/machine.spec.ts. Where a test needs an answer to arrive in
// time, pongTimeout is long enough for a loaded machine.

describe('integration: keep-alive (ws pings)', function () {
  this.timeout(10_000);
  useCleanup();

  it('a server that stops answering pings: PongTimeoutError pingInterval + pongTimeout after the last frame, then a reconnect', async () => {
    const server = await wsServer(recordOnly, { autoPong: false });
    const rec = start(server.url, { pingInterval: 100, pongTimeout: 80, minUptime: 60_000, retryDelay: 10_000 });
    await rec.nth('CONNECTED', 2);
    expect(rec.lines().slice(0, 5)).to.deep.equal([
      'CONNECTING a=0',
      'CONNECTED p=""',
      'DISCONNECTED PongTimeoutError',
      'CONNECTING a=1',
      'CONNECTED p=""',
    ]);
    const error = rec.statuses[2]?.error as PongTimeoutError;
    expect(error).to.be.instanceOf(PongTimeoutError);
    expect(error.message).to.match(/pong|dead/i);
    // The last frame was the opening handshake, just before CONNECTED.
    const took = (rec.times[2] as number) - (rec.times[1] as number);
    expectDue(took, 180);
    const first = await server.peer(1);
    expect(first.pings).to.equal(1);
    await until(() => first.closed !== undefined, WAIT, 'the dead socket to be closed');
  });

  it('a network that dies (the server stops reading its socket): PongTimeoutError, then a reconnect', async () => {
    const server = await wsServer(({ socket }, i) => {
      // ws keeps the TCP socket in `_socket`; pausing it is a peer that vanished without a FIN.
      if (i === 0) (socket as unknown as { _socket: import('node:net').Socket })._socket.pause();
    });
    const rec = start(server.url, { pingInterval: 60, pongTimeout: 60, retryDelay: 10_000 });
    await rec.nth('CONNECTED', 2);
    expect(rec.lines()).to.deep.equal([
      'CONNECTING a=0',
      'CONNECTED p=""',
      'DISCONNECTED PongTimeoutError',
      'CONNECTING a=1',
      'CONNECTED p=""',
    ]);
    expectDue((rec.times[2] as number) - (rec.times[1] as number), 120);
  });

  it('the deadline counts from the last frame: a message pushes it back', async () => {
    const server = await wsServer(({ socket }) => setTimeout(() => socket.send('last words'), 20), { autoPong: false });
    const rec = start(server.url, { pingInterval: 200, pongTimeout: 100, retryDelay: 10_000 });
    await rec.nth('DISCONNECTED', 1);
    expect(rec.input).to.deep.equal(['last words']);
    const took = (rec.times[2] as number) - (rec.inputTimes[0] as number);
    expectDue(took, 300);
    expect(rec.statuses[2]?.error).to.be.instanceOf(PongTimeoutError);
  });

  it('the first ping goes out pingInterval ms after the last frame', async () => {
    const pingedAfter: number[] = [];
    const server = await wsServer(({ socket }) => {
      const opened = Date.now();
      socket.once('ping', () => pingedAfter.push(Date.now() - opened));
    });
    start(server.url, { pingInterval: 80, pongTimeout: 1000 });
    await until(() => pingedAfter.length === 1, WAIT, 'the first ping');
    expectDue(pingedAfter[0] as number, 80, 'ms from the connection to the first ping');
  });

  it('any frame within pongTimeout of a ping counts as the answer, not only a pong', async () => {
    const server = await wsServer(({ socket }) => socket.once('ping', () => setTimeout(() => socket.send('not a pong'), 20)), {
      autoPong: false,
    });
    const rec = start(server.url, { pingInterval: 100, pongTimeout: 400, retryDelay: 10_000, minUptime: 60_000 });
    await rec.nth('DISCONNECTED', 1);
    const peer = await server.peer(1);
    expect(peer.pings).to.equal(2); // the answered one, and the one that went unanswered
    expect(rec.input).to.deep.equal(['not a pong']);
    const took = (rec.times[2] as number) - (rec.inputTimes[0] as number);
    expectDue(took, 500);
    expect(rec.statuses[2]?.error).to.be.instanceOf(PongTimeoutError);
  });

  it('pings from the server count as incoming frames: the machine has no need to ping', async () => {
    const server = await wsServer(
      ({ socket }) => {
        const tick = setInterval(() => socket.ping(), 20);
        socket.on('close', () => clearInterval(tick));
      },
      { autoPong: false },
    );
    // The server pings every 20 ms; a machine that pinged after 1000 ms of silence would show.
    const rec = start(server.url, { pingInterval: 1000, pongTimeout: 1000 });
    await nextState(rec.machine, 'CONNECTED');
    let pongs = 0;
    (await server.peer(1)).socket.on('pong', () => pongs++);
    await until(() => pongs >= 8, WAIT, 'eight pongs from the client');
    expect((await server.peer(1)).pings).to.equal(0);
    expect(rec.lines()).to.deep.equal(['CONNECTING a=0', 'CONNECTED p=""']);
  });

  it('a quiet but healthy connection stays CONNECTED across several ping intervals', async () => {
    const server = await wsServer();
    const rec = start(server.url, { pingInterval: 40, pongTimeout: 1000 });
    await nextState(rec.machine, 'CONNECTED');
    const peer = await server.peer(1);
    await until(() => peer.pings >= 5, WAIT, 'five pings');
    expect(rec.lines()).to.deep.equal(['CONNECTING a=0', 'CONNECTED p=""']);
    expect(server.peers).to.have.length(1);
  });

  it('no ping while frames keep arriving (only silence triggers one)', async () => {
    let sent = 0;
    const server = await wsServer(({ socket }) => {
      const tick = setInterval(() => {
        if (socket.readyState !== socket.OPEN) {
          clearInterval(tick);
          return;
        }
        socket.send(String(++sent));
        if (sent === 12) clearInterval(tick);
      }, 40);
      socket.on('close', () => clearInterval(tick));
    });
    // 12 frames 40 ms apart span 480 ms, more than one pingInterval; no gap comes near 300 ms.
    const rec = start(server.url, { pingInterval: 300, pongTimeout: 1000 });
    await rec.received(12);
    expect((await server.peer(1)).pings).to.equal(0);
    expect(rec.lines()).to.deep.equal(['CONNECTING a=0', 'CONNECTED p=""']);
  });

  it('where ws can ping, the heartbeat option is not sent: pings are', async () => {
    const server = await wsServer();
    const rec = start(server.url, { pingInterval: 30, pongTimeout: 1000, heartbeat: 'hb' });
    await nextState(rec.machine, 'CONNECTED');
    const peer = await server.peer(1);
    await until(() => peer.pings >= 3, WAIT, 'three pings');
    rec.machine.command.next(Command.PING);
    await until(() => peer.pings >= 4, WAIT, 'a fourth ping');
    expect(peer.frames).to.deep.equal([]);
  });

  it('Command.PING makes the server see a ping now (keep-alive off)', async () => {
    const server = await wsServer();
    const rec = start(server.url, { pingInterval: 0 });
    await nextState(rec.machine, 'CONNECTED');
    const peer = await server.peer(1);
    expect(peer.pings).to.equal(0);
    rec.machine.command.next(Command.PING);
    await until(() => peer.pings === 1, WAIT, 'a ping');
    rec.machine.command.next(Command.PING);
    await until(() => peer.pings === 2, WAIT, 'a second ping');
  });

  it('with pingInterval 0 a server that never pongs is not declared dead', async () => {
    const server = await wsServer(recordOnly, { autoPong: false });
    const rec = start(server.url, { pingInterval: 0, pongTimeout: 10 });
    await nextState(rec.machine, 'CONNECTED');
    await pause(80);
    expect(rec.lines()).to.deep.equal(['CONNECTING a=0', 'CONNECTED p=""']);
    expect((await server.peer(1)).pings).to.equal(0);
  });
});
