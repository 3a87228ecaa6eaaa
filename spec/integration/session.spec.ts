/**
 * API.md "Typed messages, channels and requests" and "Observability" over real sockets: a channel
 * that survives a server restart, a request answered by a real server, and the counters on the
 * `ws` path (pong round trips, UTF-8 byte counts).
 */
import { expect } from 'chai';
import { Command, Machine, json } from '../../lib/index.js';
import { frameLine, nextState, until, useCleanup, wsServer, type OnConnection, type TestServer } from './helpers.js';

interface Msg {
  ch?: string;
  op?: string;
  id?: number;
  v?: number;
}

/** A pub/sub server: on `{op:'sub',ch}` it sends `{ch, v}` for that channel; on `{op:'req',id}` it answers `{id}`. */
const pubsub: OnConnection = ({ socket }) => {
  socket.on('message', (data: Buffer) => {
    const m = JSON.parse(data.toString()) as Msg;
    if (m.op === 'sub') socket.send(JSON.stringify({ ch: m.ch, v: 1 }));
    if (m.op === 'req') socket.send(JSON.stringify({ id: m.id, v: 42 }));
  });
};

describe('integration: channels, requests and stats over real sockets', function () {
  this.timeout(10_000);
  const machines: Machine<Msg, Msg>[] = [];
  // Before useCleanup's hook, which checks that nothing is left: these machines stop first.
  afterEach(() => {
    for (const m of machines.splice(0)) m.command.next(Command.QUIT);
  });
  useCleanup();
  const machineOn = (server: TestServer): Machine<Msg, Msg> => {
    const m = new Machine(server.url, { codec: json<Msg, Msg>(), retryDelay: 20, pingInterval: 0 });
    machines.push(m);
    return m;
  };

  it('a channel re-subscribes by itself after the server restarts, ahead of the queue, and keeps emitting', async () => {
    const first = await wsServer(pubsub);
    const machine = machineOn(first);
    const got: number[] = [];
    machine
      .channel({ subscribe: () => ({ op: 'sub', ch: 'prices' }), filter: (m) => m.ch === 'prices' })
      .subscribe((m) => got.push(m.v ?? -1));
    await until(() => got.length === 1, 3000, 'the first value');
    const port = first.port;
    await first.close();
    await nextState(machine as never, 'WAITING');
    machine.output.next({ op: 'queued' }); // sent after the re-subscribe, on the new server
    const second = await wsServer(pubsub, { port });
    await until(() => got.length === 2, 5000, 'a value from the restarted server');
    const peer = await second.peer(1);
    await until(() => peer.frames.length === 2, 3000, 'both frames on the new server');
    expect(peer.frames.map(frameLine)).to.deep.equal(['t:{"op":"sub","ch":"prices"}', 't:{"op":"queued"}']);
    expect(got).to.deep.equal([1, 1]);
  });

  it('a request gets its reply from a real server', async () => {
    const server = await wsServer(pubsub);
    const machine = machineOn(server);
    const reply = await new Promise<Msg>((resolve, reject) => {
      machine.request({ op: 'req', id: 7 }, { match: (m) => m.id === 7, timeout: 3000 }).subscribe({ next: resolve, error: reject });
    });
    expect(reply).to.deep.equal({ id: 7, v: 42 });
  });

  it('stats on the ws path: UTF-8 bytes both ways, and rtt from the pong of a ping', async () => {
    const server = await wsServer(({ socket }) => socket.on('message', (data: Buffer) => socket.send(data.toString())));
    const before = Date.now();
    const machine = new Machine(server.url, { format: 'text', pingInterval: 0 });
    machines.push(machine as never);
    await nextState(machine, 'CONNECTED');
    const after = Date.now();
    const replies: unknown[] = [];
    machine.input$.subscribe((m) => replies.push(m));
    machine.output.next('é€');
    await until(() => replies.length === 1, 3000, 'the echo');
    machine.command.next(Command.PING);
    await until(() => machine.stats().rtt !== undefined, 3000, 'a pong');
    const stats = machine.stats();
    expect(stats).to.include({ messagesOut: 1, bytesOut: 5, messagesIn: 1, bytesIn: 5, connects: 1 });
    expect(stats.rtt).to.be.at.least(0).and.below(2000);
    // On Date's time (the machine keeps it on its clock, counted from the clock's epoch).
    expect(stats.connectedSince).to.be.at.least(before).and.at.most(after);
  });
});
