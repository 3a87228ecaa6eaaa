/**
 * API.md Keep-alive on Node's native path: protocol pings after `pingInterval` ms of silence, a dead
 * connection after `pongTimeout` ms without a frame, and Command.PING.
 */
import { expect } from 'chai';
import { Command, PongTimeoutError } from '../../lib/index.js';
import { nextState, pause, start, until, useCleanup, wsServer } from './helpers.js';

const JITTER = 60; // ms of scheduling lateness tolerated on a loaded 2-core machine

describe('integration: keep-alive (ws pings)', function () {
  this.timeout(5000);
  useCleanup();

  it('a server that stops answering pings: PongTimeoutError pingInterval + pongTimeout after the last frame, then a reconnect', async () => {
    const server = await wsServer(() => {}, { autoPong: false });
    const rec = start(server.url, { pingInterval: 100, pongTimeout: 80, minUptime: 60_000, retryDelay: 10_000 });
    await rec.nth('CONNECTED', 2, 2000);
    expect(rec.lines().slice(0, 5)).to.deep.equal(['CONNECTING a=0', 'CONNECTED p=""', 'DISCONNECTED PongTimeoutError', 'CONNECTING a=1', 'CONNECTED p=""']);
    const error = rec.statuses[2]?.error as PongTimeoutError;
    expect(error).to.be.instanceOf(PongTimeoutError);
    expect(error.message).to.match(/pong|dead/i);
    // The last frame was the opening handshake, just before CONNECTED.
    const took = (rec.times[2] as number) - (rec.times[1] as number);
    expect(took).to.be.within(180 - 5, 180 + JITTER);
    const first = await server.peer(1);
    expect(first.pings).to.equal(1);
    await until(() => first.closed !== undefined, 1000, 'the dead socket to be closed');
  });

  it('a network that dies (the server stops reading its socket): PongTimeoutError, then a reconnect', async () => {
    const server = await wsServer(({ socket }, i) => {
      // ws keeps the TCP socket in `_socket`; pausing it is a peer that vanished without a FIN.
      if (i === 0) (socket as unknown as { _socket: import('node:net').Socket })._socket.pause();
    });
    const rec = start(server.url, { pingInterval: 60, pongTimeout: 60, retryDelay: 10_000 });
    await rec.nth('CONNECTED', 2, 2000);
    expect(rec.lines()).to.deep.equal(['CONNECTING a=0', 'CONNECTED p=""', 'DISCONNECTED PongTimeoutError', 'CONNECTING a=1', 'CONNECTED p=""']);
    expect((rec.times[2] as number) - (rec.times[1] as number)).to.be.within(120 - 5, 120 + JITTER);
  });

  it('the deadline counts from the last frame: a message pushes it back', async () => {
    const server = await wsServer(({ socket }) => setTimeout(() => socket.send('last words'), 70), { autoPong: false });
    const rec = start(server.url, { pingInterval: 100, pongTimeout: 60, retryDelay: 10_000 });
    await rec.nth('DISCONNECTED', 1, 2000);
    expect(rec.input).to.deep.equal(['last words']);
    const took = (rec.times[2] as number) - (rec.inputTimes[0] as number);
    expect(took).to.be.within(160 - 5, 160 + JITTER);
    expect(rec.statuses[2]?.error).to.be.instanceOf(PongTimeoutError);
  });

  it('the first ping goes out pingInterval ms after the last frame', async () => {
    const pingedAfter: number[] = [];
    const server = await wsServer(({ socket }) => {
      const opened = Date.now();
      socket.once('ping', () => pingedAfter.push(Date.now() - opened));
    });
    start(server.url, { pingInterval: 80, pongTimeout: 1000 });
    await until(() => pingedAfter.length === 1, 1000, 'the first ping');
    expect(pingedAfter[0]).to.be.within(80 - 5, 80 + JITTER);
  });

  it('any frame within pongTimeout of a ping counts as the answer, not only a pong', async () => {
    const server = await wsServer(
      ({ socket }) => socket.once('ping', () => setTimeout(() => socket.send('not a pong'), 20)),
      { autoPong: false },
    );
    const rec = start(server.url, { pingInterval: 80, pongTimeout: 60, retryDelay: 10_000, minUptime: 60_000 });
    await rec.nth('DISCONNECTED', 1, 2000);
    const peer = await server.peer(1);
    expect(peer.pings).to.equal(2); // the answered one, and the one that went unanswered
    expect(rec.input).to.deep.equal(['not a pong']);
    const took = (rec.times[2] as number) - (rec.inputTimes[0] as number);
    expect(took).to.be.within(140 - 5, 140 + JITTER);
    expect(rec.statuses[2]?.error).to.be.instanceOf(PongTimeoutError);
  });

  it('pings from the server count as incoming frames: the machine has no need to ping', async () => {
    const server = await wsServer(({ socket }) => {
      const tick = setInterval(() => socket.ping(), 20);
      socket.on('close', () => clearInterval(tick));
    }, { autoPong: false });
    const rec = start(server.url, { pingInterval: 100, pongTimeout: 50 });
    await nextState(rec.machine, 'CONNECTED');
    let pongs = 0;
    (await server.peer(1)).socket.on('pong', () => pongs++);
    await until(() => pongs >= 8, 1500, 'eight pongs from the client');
    expect((await server.peer(1)).pings).to.equal(0);
    expect(rec.lines()).to.deep.equal(['CONNECTING a=0', 'CONNECTED p=""']);
  });

  it('a quiet but healthy connection stays CONNECTED across several ping intervals', async () => {
    const server = await wsServer();
    const rec = start(server.url, { pingInterval: 40, pongTimeout: 40 });
    await nextState(rec.machine, 'CONNECTED');
    const peer = await server.peer(1);
    await until(() => peer.pings >= 5, 1500, 'five pings');
    expect(rec.lines()).to.deep.equal(['CONNECTING a=0', 'CONNECTED p=""']);
    expect(server.peers).to.have.length(1);
  });

  it('no ping while frames keep arriving (only silence triggers one)', async () => {
    let sent = 0;
    const server = await wsServer(({ socket }) => {
      const tick = setInterval(() => {
        if (socket.readyState !== socket.OPEN) return clearInterval(tick);
        socket.send(String(++sent));
        if (sent === 12) clearInterval(tick);
      }, 15);
      socket.on('close', () => clearInterval(tick));
    });
    const rec = start(server.url, { pingInterval: 120, pongTimeout: 1000 });
    await rec.received(12, 2000);
    expect((await server.peer(1)).pings).to.equal(0);
    expect(rec.lines()).to.deep.equal(['CONNECTING a=0', 'CONNECTED p=""']);
  });

  it('where ws can ping, the heartbeat option is not sent: pings are', async () => {
    const server = await wsServer();
    const rec = start(server.url, { pingInterval: 30, pongTimeout: 100, heartbeat: 'hb' });
    await nextState(rec.machine, 'CONNECTED');
    const peer = await server.peer(1);
    await until(() => peer.pings >= 3, 1000, 'three pings');
    rec.machine.command.next(Command.PING);
    await until(() => peer.pings >= 4, 1000, 'a fourth ping');
    expect(peer.frames).to.deep.equal([]);
  });

  it('Command.PING makes the server see a ping now (keep-alive off)', async () => {
    const server = await wsServer();
    const rec = start(server.url, { pingInterval: 0 });
    await nextState(rec.machine, 'CONNECTED');
    const peer = await server.peer(1);
    expect(peer.pings).to.equal(0);
    rec.machine.command.next(Command.PING);
    await until(() => peer.pings === 1, 1000, 'a ping');
    rec.machine.command.next(Command.PING);
    await until(() => peer.pings === 2, 1000, 'a second ping');
  });

  it('with pingInterval 0 a server that never pongs is not declared dead', async () => {
    const server = await wsServer(() => {}, { autoPong: false });
    const rec = start(server.url, { pingInterval: 0, pongTimeout: 10 });
    await nextState(rec.machine, 'CONNECTED');
    await pause(80);
    expect(rec.lines()).to.deep.equal(['CONNECTING a=0', 'CONNECTED p=""']);
    expect((await server.peer(1)).pings).to.equal(0);
  });
});
