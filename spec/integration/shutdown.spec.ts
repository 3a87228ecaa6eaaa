/**
 * API.md Behaviour, stopping: Command.QUIT, command.complete() and command.error() from CONNECTED,
 * CONNECTING and WAITING, with a real socket, down to the process's active resources.
 */
import { expect } from 'chai';
import { Command, type Status } from '../../lib/index.js';
import {
  WAIT,
  type Recorder,
  nextState,
  refusedUrl,
  resources,
  settles,
  silentServer,
  start,
  until,
  useCleanup,
  wsServer,
} from './helpers.js';

type Stop = 'QUIT' | 'complete()' | 'error()';
const STOPS: Record<Stop, (rec: Recorder) => void> = {
  QUIT: (rec) => rec.machine.command.next(Command.QUIT),
  'complete()': (rec) => rec.machine.command.complete(),
  'error()': (rec) => rec.machine.command.error(new Error('caller gave up')),
};

/** The final status and completion, then: everything later is ignored. */
function expectStopped(rec: Recorder, before: number): void {
  expect(rec.lines().slice(before), 'statuses after the stop').to.deep.equal(['DISCONNECTED']);
  expect(rec.statuses.at(-1)).to.deep.equal({ state: 'DISCONNECTED' });
  expect(rec.stateDone, 'state$ completed').to.equal(true);
  expect(rec.inputDone, 'input$ completed').to.equal(true);

  // A late subscriber gets the final DISCONNECTED, then completion.
  const late: (Status | 'complete')[] = [];
  rec.machine.state$.subscribe({ next: (s) => late.push(s), complete: () => late.push('complete') });
  expect(late).to.deep.equal([{ state: 'DISCONNECTED' }, 'complete']);
  let inputCompleted = false;
  rec.machine.input$.subscribe({ complete: () => (inputCompleted = true) });
  expect(inputCompleted, 'a late input$ subscriber is completed').to.equal(true);

  // Later output and command calls are ignored (no throw, no status, nothing queued or dropped).
  const dropped = rec.dropped.length;
  expect(() => rec.machine.output.next('too late')).not.to.throw();
  expect(() => rec.machine.command.next(Command.RECONNECT)).not.to.throw();
  expect(() => rec.machine.command.next(Command.QUIT)).not.to.throw();
  expect(() => rec.machine.command.complete()).not.to.throw();
  expect(() => rec.machine.command.next('NOPE' as unknown as Command)).not.to.throw();
  expect(() => rec.machine.output.next(42 as unknown as string)).not.to.throw();
  expect(rec.lines().slice(before)).to.deep.equal(['DISCONNECTED']);
  expect(rec.dropped).to.have.length(dropped);
}

describe('integration: QUIT, command.complete(), command.error()', function () {
  this.timeout(10_000);
  useCleanup();

  for (const [how, stop] of Object.entries(STOPS) as [Stop, (rec: Recorder) => void][]) {
    describe(how, () => {
      it('from CONNECTED: one DISCONNECTED without error, streams complete, the server sees 1000, nothing of ours is left', async () => {
        const server = await wsServer();
        const baseline = resources();
        const rec = start(server.url, { pingInterval: 50, minUptime: 10_000 }); // keep-alive and uptime timers running
        await nextState(rec.machine, 'CONNECTED');
        const before = rec.statuses.length;
        stop(rec);
        expectStopped(rec, before);
        const peer = await server.peer(1);
        await until(() => peer.closed !== undefined, WAIT, 'the server to see the close');
        expect(peer.closed).to.deep.equal({ code: 1000, reason: '' });
        await settles(baseline);
      });

      it('from CONNECTING (upgrade not answered yet): one DISCONNECTED, the socket is closed, nothing of ours is left', async () => {
        const server = await silentServer();
        const baseline = resources();
        const rec = start(server.url, { connectTimeout: 5000 });
        await until(() => server.sockets.length === 1, WAIT, 'the TCP connection');
        expect(rec.lines()).to.deep.equal(['CONNECTING a=0']);
        stop(rec);
        expectStopped(rec, 1);
        await until(() => server.closedCount() === 1, WAIT, 'the socket to be closed');
        await settles(baseline);
      });

      it('from WAITING: one DISCONNECTED, the retry timer is gone, nothing of ours is left', async () => {
        const url = await refusedUrl();
        const baseline = resources();
        const rec = start(url, { retryDelay: 60_000 });
        await nextState(rec.machine, 'WAITING');
        expect(rec.lines()).to.deep.equal(['CONNECTING a=0', 'DISCONNECTED ConnectError', 'WAITING a=1 d=60000']);
        stop(rec);
        expectStopped(rec, 3);
        await settles(baseline);
      });
    });
  }

  it('QUIT synchronously after construction, before the socket even connected', async () => {
    const server = await wsServer();
    const baseline = resources();
    const rec = start(server.url);
    rec.machine.output.next('never sent');
    rec.machine.command.next(Command.QUIT);
    expectStopped(rec, 1);
    expect(rec.dropped).to.deep.equal(['never sent']);
    await settles(baseline);
    // If the server accepted anything, it got no frame.
    for (const peer of server.peers) expect(peer.frames).to.deep.equal([]);
  });

  it('QUIT from an input$ subscriber in the middle of a burst: nothing more is delivered', async () => {
    const server = await wsServer(({ socket }) => {
      for (let i = 1; i <= 5; i++) socket.send(`burst ${i}`);
    });
    const baseline = resources();
    const rec = start(server.url);
    rec.machine.input$.subscribe(() => rec.machine.command.next(Command.QUIT));
    await rec.done();
    expect(rec.input).to.deep.equal(['burst 1']);
    expect(rec.inputDone).to.equal(true);
    expect(rec.lines()).to.deep.equal(['CONNECTING a=0', 'CONNECTED p=""', 'DISCONNECTED']);
    const peer = await server.peer(1);
    await until(() => peer.closed !== undefined, WAIT, 'the close');
    expect(peer.closed?.code).to.equal(1000);
    await settles(baseline);
  });

  it('QUIT from a subscriber of a DISCONNECTED(error) status: the retry wait it started is cancelled', async () => {
    const url = await refusedUrl();
    const baseline = resources();
    const rec = start(url, { retryDelay: 60_000 });
    rec.machine.state$.subscribe((s) => s.error !== undefined && rec.machine.command.next(Command.QUIT));
    await rec.done();
    expect(rec.lines().at(0)).to.equal('CONNECTING a=0');
    expect(rec.lines().at(1)).to.equal('DISCONNECTED ConnectError');
    expect(rec.lines().at(-1)).to.equal('DISCONNECTED');
    expect(rec.lines().filter((l) => l.startsWith('CONNECTING'))).to.have.length(1);
    await settles(baseline);
  });

  it('QUIT from a subscriber of the CONNECTED status', async () => {
    const server = await wsServer();
    const baseline = resources();
    const rec = start(server.url);
    rec.machine.state$.subscribe((s) => s.state === 'CONNECTED' && rec.machine.command.next(Command.QUIT));
    await rec.done();
    expect(rec.lines()).to.deep.equal(['CONNECTING a=0', 'CONNECTED p=""', 'DISCONNECTED']);
    const peer = await server.peer(1);
    await until(() => peer.closed !== undefined, WAIT, 'the server to see the close');
    expect(peer.closed?.code).to.equal(1000);
    await settles(baseline);
  });
});
