/**
 * API.md Messages with a real socket: frame types both ways, what `output` accepts, the formats,
 * the queue (order, bounds, overflow, dropped$) and `output` as an Observer.
 */
import { expect } from 'chai';
import { EMPTY, concat, from, throwError } from 'rxjs';
import { Command } from '../../lib/index.js';
import {
  WAIT,
  bytes,
  echo,
  frameLine,
  nextState,
  pause,
  recordOnly,
  refusedUrl,
  start,
  until,
  useCleanup,
  wsServer,
  type TestServer,
} from './helpers.js';

describe('integration: messages', function () {
  this.timeout(10_000);
  useCleanup();

  async function connected(
    options: Parameters<typeof start>[1] = {},
    onConnection = echo,
  ): Promise<{ server: TestServer; rec: ReturnType<typeof start> }> {
    const server = await wsServer(onConnection);
    const rec = start(server.url, options);
    await nextState(rec.machine, 'CONNECTED');
    return { server, rec };
  }

  describe('input$', () => {
    it('a text frame arrives as a string, a binary frame as a Uint8Array, in order', async () => {
      const { rec } = await connected({}, ({ socket }) => {
        socket.send('héllo');
        socket.send(Buffer.from([0, 1, 2, 255]));
        socket.send('', { binary: false });
        socket.send(Buffer.alloc(0));
      });
      await rec.received(4);
      expect(rec.input[0]).to.equal('héllo');
      expect(rec.input[1]).to.be.instanceOf(Uint8Array);
      expect(bytes(rec.input[1])).to.deep.equal([0, 1, 2, 255]);
      expect(rec.input[2]).to.equal('');
      expect(rec.input[3]).to.be.instanceOf(Uint8Array).with.property('byteLength', 0);
    });
  });

  it('a 1 MiB binary message and a 1 MiB text message round-trip intact', async () => {
    const { rec } = await connected();
    const big = new Uint8Array(1024 * 1024).map((_, i) => (i * 7) & 0xff);
    rec.machine.output.next(big);
    rec.machine.command.next(Command.USE_TEXT);
    const text = 'ä'.repeat(512 * 1024);
    rec.machine.output.next(text);
    await rec.received(2);
    expect(Buffer.compare(Buffer.from(rec.input[0] as Uint8Array), Buffer.from(big))).to.equal(0);
    expect(rec.input[1]).to.equal(text);
  });

  describe('output', () => {
    it('accepts string, Uint8Array, ArrayBuffer, DataView and other views, sending exactly the view’s bytes, binary by default', async () => {
      const { server, rec } = await connected({}, recordOnly);
      const peer = await server.peer(1);
      const backing = new Uint8Array([9, 9, 1, 2, 3, 4, 9, 9]);
      const words = new Uint16Array([0x0102, 0x0304, 0x0506]);
      const m = rec.machine;
      m.output.next('text');
      m.output.next(new Uint8Array([1, 2, 3]));
      m.output.next(new Uint8Array([7, 8]).buffer);
      m.output.next(new DataView(backing.buffer, 2, 3));
      m.output.next(backing.subarray(3, 5)); // byteOffset 3
      m.output.next(words.subarray(1)); // byteOffset 2, two 16-bit words
      m.output.next(Buffer.from('buf'));
      await until(() => peer.frames.length === 7, WAIT, 'seven frames');
      expect(peer.frames.map((f) => f.binary)).to.deep.equal([true, true, true, true, true, true, true]);
      expect(peer.frames.map((f) => [...f.data])).to.deep.equal([
        bytes('text'),
        [1, 2, 3],
        [7, 8],
        [1, 2, 3],
        [2, 3],
        [...new Uint8Array(words.buffer, 2, 4)],
        bytes('buf'),
      ]);
    });

    it('USE_TEXT switches to text frames, USE_BINARY back; format: "text" starts with text', async () => {
      const { server, rec } = await connected({}, recordOnly);
      const peer = await server.peer(1);
      const m = rec.machine;
      m.output.next('a');
      m.command.next(Command.USE_TEXT);
      m.output.next('b');
      m.output.next(new TextEncoder().encode('c'));
      m.command.next(Command.USE_BINARY);
      m.output.next('d');
      await until(() => peer.frames.length === 4, WAIT, 'four frames');
      expect(peer.frames.map(frameLine)).to.deep.equal(['b:a', 't:b', 't:c', 'b:d']);

      const text = start(server.url, { format: 'text' });
      text.machine.output.next('e');
      text.machine.output.next(new Uint8Array([0x66]));
      const second = await server.peer(2);
      await until(() => second.frames.length === 2, WAIT, 'two frames');
      text.machine.command.next(Command.USE_BINARY);
      text.machine.output.next('g');
      await until(() => second.frames.length === 3, WAIT, 'three frames');
      expect(second.frames.map(frameLine)).to.deep.equal(['t:e', 't:f', 'b:g']);
    });

    it('USE_TEXT applies to messages queued before the switch', async () => {
      const server = await wsServer();
      const rec = start(server.url);
      rec.machine.output.next('queued-1');
      rec.machine.output.next(new Uint8Array([0x71]));
      rec.machine.command.next(Command.USE_TEXT);
      const peer = await server.peer(1);
      await until(() => peer.frames.length === 2, WAIT, 'two frames');
      expect(peer.frames.map(frameLine)).to.deep.equal(['t:queued-1', 't:q']);
    });

    it('a value that is not a string or bytes throws a TypeError synchronously; the queue and the machine go on', async () => {
      const server = await wsServer(echo);
      const rec = start(server.url);
      rec.machine.output.next('kept');
      for (const bad of [42, null, undefined, {}, [1, 2], true, new Blob(['x'])]) {
        const label = bad === undefined ? 'undefined' : bad instanceof Blob ? 'a Blob' : JSON.stringify(bad);
        expect(() => rec.machine.output.next(bad as string), label).to.throw(TypeError);
      }
      const peer = await server.peer(1);
      await until(() => peer.frames.length === 1, WAIT, 'the queued frame');
      expect(peer.frames.map(frameLine)).to.deep.equal(['b:kept']);
      expect(() => rec.machine.output.next(Symbol('x') as unknown as string)).to.throw(TypeError);
      rec.machine.output.next('after');
      await rec.received(2);
      expect(rec.input.map((m) => Buffer.from(m as Uint8Array).toString())).to.deep.equal(['kept', 'after']);
      expect(rec.lines()).to.deep.equal(['CONNECTING a=0', 'CONNECTED p=""']);
    });

    it('command.next with an unknown command throws a TypeError; the machine goes on', async () => {
      const { rec } = await connected();
      expect(() => rec.machine.command.next('NOPE' as unknown as Command)).to.throw(TypeError, /NOPE/);
      expect(() => rec.machine.command.next(undefined as unknown as Command)).to.throw(TypeError);
      rec.machine.output.next('still here');
      await rec.received(1);
      expect(rec.lines()).to.deep.equal(['CONNECTING a=0', 'CONNECTED p=""']);
    });
  });

  describe('the queue', () => {
    it('messages sent before CONNECTED are flushed in order, before anything sent later (even from a CONNECTED subscriber)', async () => {
      const server = await wsServer();
      const rec = start(server.url);
      for (let i = 1; i <= 5; i++) rec.machine.output.next(`q${i}`);
      rec.machine.state$.subscribe((s) => {
        if (s.state === 'CONNECTED') rec.machine.output.next('later');
      });
      const peer = await server.peer(1);
      await until(() => peer.frames.length === 6, WAIT, 'six frames');
      expect(peer.frames.map(frameLine)).to.deep.equal(['b:q1', 'b:q2', 'b:q3', 'b:q4', 'b:q5', 'b:later']);
    });

    it('messages queued across a reconnect go out on the next connection, in order', async () => {
      const server = await wsServer(({ socket }, i) => {
        if (i === 0) socket.terminate();
      });
      const rec = start(server.url, { retryDelay: 20 });
      rec.machine.state$.subscribe((s) => {
        if (s.state === 'DISCONNECTED') for (const m of ['r1', 'r2', 'r3']) rec.machine.output.next(m);
      });
      const peer = await server.peer(2);
      await until(() => peer.frames.length === 3, WAIT, 'three frames');
      expect(peer.frames.map(frameLine)).to.deep.equal(['b:r1', 'b:r2', 'b:r3']);
      expect(rec.dropped).to.deep.equal([]);
    });

    it("maxQueue with overflow 'drop-oldest' (the default): dropped$ carries the oldest, the rest is sent", async () => {
      const server = await wsServer();
      const rec = start(server.url, { maxQueue: 3 });
      for (let i = 1; i <= 5; i++) rec.machine.output.next(`m${i}`);
      expect(rec.dropped).to.deep.equal(['m1', 'm2']);
      const peer = await server.peer(1);
      await until(() => peer.frames.length === 3, WAIT, 'three frames');
      expect(peer.frames.map(frameLine)).to.deep.equal(['b:m3', 'b:m4', 'b:m5']);
      await pause(30);
      expect(peer.frames).to.have.length(3);
    });

    it("maxQueue with overflow 'drop-newest': dropped$ carries exactly what was refused, as given", async () => {
      const server = await wsServer();
      const rec = start(server.url, { maxQueue: 3, overflow: 'drop-newest' });
      const bin = new Uint8Array([1, 2]);
      for (const m of ['m1', 'm2', 'm3', 'm4']) rec.machine.output.next(m);
      rec.machine.output.next(bin);
      expect(rec.dropped).to.have.length(2);
      expect(rec.dropped[0]).to.equal('m4');
      expect(rec.dropped[1]).to.be.instanceOf(Uint8Array);
      expect(bytes(rec.dropped[1])).to.deep.equal([1, 2]);
      const peer = await server.peer(1);
      await until(() => peer.frames.length === 3, WAIT, 'three frames');
      expect(peer.frames.map(frameLine)).to.deep.equal(['b:m1', 'b:m2', 'b:m3']);
    });

    it('maxQueue 0: everything sent while not connected is dropped; nothing is sent on connect', async () => {
      const server = await wsServer();
      const rec = start(server.url, { maxQueue: 0 });
      rec.machine.output.next('x');
      expect(rec.dropped).to.deep.equal(['x']);
      const peer = await server.peer(1);
      await nextState(rec.machine, 'CONNECTED');
      rec.machine.output.next('live');
      await until(() => peer.frames.length === 1, WAIT, 'one frame');
      expect(peer.frames.map(frameLine)).to.deep.equal(['b:live']);
    });

    it('messages still queued at QUIT go out on dropped$, in order, before it completes', async () => {
      const rec = start(await refusedUrl(), { retryDelay: 10_000 });
      rec.machine.output.next('a');
      rec.machine.output.next(new Uint8Array([98]));
      await nextState(rec.machine, 'WAITING');
      rec.machine.output.next('c');
      rec.machine.command.next(Command.QUIT);
      expect(rec.dropped.map((m) => bytes(m))).to.deep.equal([bytes('a'), [98], bytes('c')]);
      expect(rec.droppedDone).to.equal(true);
    });
  });

  // The sends of one tick share the kernel's writes (lib/transport-ws.ts): these check, on a real
  // socket, that nothing is lost, reordered or merged on the way, whatever comes after them.
  describe('a burst of sends in one tick', () => {
    /** Messages of 1 to 200 bytes, numbered: `n` of them, about 100 KiB in all at 1,000. */
    const burst = (n: number): string[] => Array.from({ length: n }, (_, i) => `${i}:${'x'.repeat((i * 37) % 200)}`);

    it('arrives whole and in order, each message its own frame, across the 64 KiB writes', async () => {
      const server = await wsServer();
      const rec = start(server.url);
      await nextState(rec.machine, 'CONNECTED');
      const sent = burst(2000);
      rec.machine.command.next(Command.USE_TEXT);
      for (const m of sent) rec.machine.output.next(m);
      const peer = await server.peer(1);
      await until(() => peer.frames.length === sent.length, WAIT, `${sent.length} frames`);
      expect(peer.frames.map(frameLine)).to.deep.equal(sent.map((m) => `t:${m}`));
      expect(rec.machine.stats().messagesOut).to.equal(sent.length);
    });

    it('then QUIT in the same tick: every message arrives before the close', async () => {
      const server = await wsServer();
      const rec = start(server.url);
      await nextState(rec.machine, 'CONNECTED');
      const sent = burst(500);
      for (const m of sent) rec.machine.output.next(m);
      rec.machine.command.next(Command.QUIT);
      const peer = await server.peer(1);
      await until(() => peer.closed !== undefined, WAIT, 'the close');
      expect(peer.frames.map(frameLine)).to.deep.equal(sent.map((m) => `b:${m}`));
      expect(peer.closed?.code).to.equal(1000);
      expect(rec.dropped).to.deep.equal([]);
    });

    it('then RECONNECT in the same tick: every message arrives on the connection it was sent on', async () => {
      const server = await wsServer();
      const rec = start(server.url, { retryDelay: 0 });
      await nextState(rec.machine, 'CONNECTED');
      const sent = burst(500);
      for (const m of sent) rec.machine.output.next(m);
      rec.machine.command.next(Command.RECONNECT);
      const first = await server.peer(1);
      await server.peer(2);
      await until(() => first.closed !== undefined, WAIT, 'the first connection to close');
      expect(first.frames.map(frameLine)).to.deep.equal(sent.map((m) => `b:${m}`));
      expect(server.peers[1]?.frames).to.deep.equal([]);
    });
  });

  describe('output as an Observer', () => {
    it('from([...]).subscribe(output) before and after connect; the end of the stream does not stop the machine', async () => {
      const server = await wsServer(echo);
      const rec = start(server.url);
      from(['s1', 's2']).subscribe(rec.machine.output); // completes while still CONNECTING
      await nextState(rec.machine, 'CONNECTED');
      from(['s3', 's4']).subscribe(rec.machine.output);
      concat(
        from(['s5']),
        throwError(() => new Error('stream failed')),
      ).subscribe(rec.machine.output);
      EMPTY.subscribe(rec.machine.output);
      rec.machine.output.complete();
      rec.machine.output.error(new Error('also ignored'));
      rec.machine.output.next('s6');
      await rec.received(6);
      expect(rec.input.map((m) => Buffer.from(m as Uint8Array).toString())).to.deep.equal(['s1', 's2', 's3', 's4', 's5', 's6']);
      expect(rec.lines()).to.deep.equal(['CONNECTING a=0', 'CONNECTED p=""']);
      expect(rec.stateDone).to.equal(false);
      expect(rec.inputDone).to.equal(false);
    });
  });
});
