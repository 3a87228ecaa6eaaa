/**
 * API.md Connection policy against real servers: URL and headers providers, maxAttempts,
 * shouldReconnect with HTTP statuses and close codes, the handshake, and online$.
 */
import { expect } from 'chai';
import { BehaviorSubject, NEVER, filter, finalize, first, firstValueFrom, ignoreElements, take, throwError } from 'rxjs';
import { CloseError, Command, ConnectError, ConnectTimeoutError, HandshakeError, UpgradeError, type Link } from '../../lib/index.js';
import {
  deferred,
  frameLine,
  nextState,
  pause,
  recordOnly,
  refusedUrl,
  resources,
  settles,
  start,
  until,
  useCleanup,
  wsServer,
  WAIT,
  expectDue,
} from './helpers.js';

describe('integration: connection policy', function () {
  this.timeout(10_000);
  useCleanup();

  describe('URL provider', () => {
    it('a sync provider is called before every attempt; each fresh token reaches the server; machine.url is the latest', async () => {
      const server = await wsServer(({ socket }, i) => {
        if (i < 2) socket.terminate();
      });
      let calls = 0;
      const urls: string[] = [];
      const rec = start(() => `${server.url}live?token=t${++calls}`, { retryDelay: 20 });
      rec.machine.state$.subscribe((s) => s.state === 'CONNECTED' && urls.push(rec.machine.url));
      await rec.nth('CONNECTED', 3);
      expect(server.peers.map((p) => p.req.url)).to.deep.equal(['/live?token=t1', '/live?token=t2', '/live?token=t3']);
      expect(urls).to.deep.equal([1, 2, 3].map((n) => `${server.url}live?token=t${n}`));
      expect(calls).to.equal(3);
    });

    it('an async provider (resolving to a URL object) is awaited per attempt', async () => {
      const server = await wsServer(({ socket }, i) => {
        if (i === 0) socket.terminate();
      });
      let calls = 0;
      const rec = start(
        async () => {
          await new Promise((resolve) => setTimeout(resolve, 5));
          return new URL(`/feed?token=a${++calls}`, `http://127.0.0.1:${server.port}`);
        },
        { retryDelay: 20 },
      );
      await rec.nth('CONNECTED', 2);
      expect(server.peers.map((p) => p.req.url)).to.deep.equal(['/feed?token=a1', '/feed?token=a2']);
      expect(rec.machine.url).to.equal(`ws://127.0.0.1:${server.port}/feed?token=a2`);
    });

    it('a provider that throws makes that attempt fail (DISCONNECTED(ConnectError) → WAITING), then the next one works', async () => {
      const server = await wsServer(({ socket }, i) => {
        if (i === 0) socket.terminate();
      });
      const boom = new Error('token service down');
      let calls = 0;
      const rec = start(
        () => {
          calls++;
          if (calls === 2) throw boom;
          return `${server.url}?n=${calls}`;
        },
        { retryDelay: 20 },
      );
      await rec.nth('CONNECTED', 2);
      expect(rec.lines()).to.deep.equal([
        'CONNECTING a=0',
        'CONNECTED p=""',
        'DISCONNECTED CloseError',
        'CONNECTING a=1',
        'DISCONNECTED ConnectError',
        'WAITING a=2 d=20',
        'CONNECTING a=2',
        'CONNECTED p=""',
      ]);
      const error = rec.statuses[4]?.error as ConnectError;
      expect(error).to.be.instanceOf(ConnectError);
      expect(error.cause).to.equal(boom);
      expect(rec.machine.url).to.equal(`${server.url}?n=3`);
      expect(server.peers.map((p) => p.req.url)).to.deep.equal(['/?n=1', '/?n=3']);
    });

    // The first attempt starts inside `new Machine`; a failure raised by our own call there is
    // reported a tick later, so a subscriber that comes right after `new` still sees it.
    it('a sync provider that throws on the first attempt: a subscriber still sees CONNECTING and the DISCONNECTED(error)', async () => {
      const boom = new Error('token service down');
      const rec = start(
        () => {
          throw boom;
        },
        { retryDelay: 10_000 },
      );
      await rec.count(3);
      expect(rec.lines()).to.deep.equal(['CONNECTING a=0', 'DISCONNECTED ConnectError', 'WAITING a=1 d=10000']);
      expect(rec.statuses[1]?.error?.cause).to.equal(boom);
    });

    it('a provider that never answers fails the attempt after connectTimeout', async () => {
      const rec = start(
        () =>
          new Promise<string>(() => {
            // Never settles: the provider never answers.
          }),
        { connectTimeout: 150, retryDelay: 10_000 },
      );
      await rec.count(3);
      expect(rec.lines()).to.deep.equal(['CONNECTING a=0', 'DISCONNECTED ConnectTimeoutError', 'WAITING a=1 d=10000']);
    });

    it('a provider that rejects, or gives a bad URL, makes that attempt fail; the machine goes on', async () => {
      const server = await wsServer();
      const answers: (() => Promise<string>)[] = [
        () => Promise.reject(new Error('no token yet')),
        () => Promise.resolve('ftp://127.0.0.1/'),
        () => Promise.resolve(`${server.url}?ok`),
      ];
      const rec = start(() => (answers.shift() as () => Promise<string>)(), { retryDelay: 20 });
      await nextState(rec.machine, 'CONNECTED');
      expect(rec.lines()).to.deep.equal([
        'CONNECTING a=0',
        'DISCONNECTED ConnectError',
        'WAITING a=1 d=20',
        'CONNECTING a=1',
        'DISCONNECTED ConnectError',
        'WAITING a=2 d=20',
        'CONNECTING a=2',
        'CONNECTED p=""',
      ]);
      expect((rec.statuses[1]?.error?.cause as Error).message).to.equal('no token yet');
      expect(rec.statuses[4]?.error?.cause).to.be.instanceOf(SyntaxError);
      expect(rec.machine.url).to.equal(`${server.url}?ok`);
    });
  });

  describe('headers', () => {
    it('an object of headers reaches the server on every attempt', async () => {
      const server = await wsServer(({ socket }, i) => {
        if (i === 0) socket.terminate();
      });
      const rec = start(server.url, { headers: { 'X-Api-Key': 'k-123', Authorization: 'Bearer static' } });
      await rec.nth('CONNECTED', 2);
      for (const peer of server.peers) {
        expect(peer.req.headers['x-api-key']).to.equal('k-123');
        expect(peer.req.headers.authorization).to.equal('Bearer static');
      }
    });

    it('an async headers function is called per attempt; a rejection fails that attempt', async () => {
      const server = await wsServer(({ socket }, i) => {
        if (i === 0) socket.terminate();
      });
      let calls = 0;
      const rec = start(server.url, {
        retryDelay: 20,
        headers: () => {
          calls++;
          if (calls === 2) return Promise.reject(new Error('refresh failed'));
          return Promise.resolve({ authorization: `Bearer ${calls}` });
        },
      });
      await rec.nth('CONNECTED', 2);
      expect(server.peers.map((p) => p.req.headers.authorization)).to.deep.equal(['Bearer 1', 'Bearer 3']);
      expect(rec.lines().slice(3, 6)).to.deep.equal(['CONNECTING a=1', 'DISCONNECTED ConnectError', 'WAITING a=2 d=20']);
    });
  });

  describe('maxAttempts', () => {
    it('gives up after N consecutive failures: the last DISCONNECTED(error) is final and the streams complete', async () => {
      const url = await refusedUrl();
      const baseline = resources();
      const rec = start(url, { maxAttempts: 3, retryDelay: 20 });
      await rec.done();
      expect(rec.lines()).to.deep.equal([
        'CONNECTING a=0',
        'DISCONNECTED ConnectError',
        'WAITING a=1 d=20',
        'CONNECTING a=1',
        'DISCONNECTED ConnectError',
        'WAITING a=2 d=20',
        'CONNECTING a=2',
        'DISCONNECTED ConnectError',
      ]);
      expect(rec.inputDone).to.equal(true);
      const late: string[] = [];
      rec.machine.state$.subscribe({ next: (s) => late.push(s.state + (s.error ? ' error' : '')), complete: () => late.push('complete') });
      expect(late).to.deep.equal(['DISCONNECTED error', 'complete']);
      await settles(baseline);
    });

    it('connections that drop before minUptime count as failures too', async () => {
      const server = await wsServer(({ socket }) => socket.terminate());
      const rec = start(server.url, { maxAttempts: 2, retryDelay: 20, minUptime: 10_000 });
      await rec.done();
      expect(rec.lines()).to.deep.equal([
        'CONNECTING a=0',
        'CONNECTED p=""',
        'DISCONNECTED CloseError',
        'CONNECTING a=1',
        'CONNECTED p=""',
        'DISCONNECTED CloseError',
      ]);
    });
  });

  describe('shouldReconnect', () => {
    it('false on a 401 upgrade stops the machine; the error has status 401', async () => {
      const server = await wsServer(recordOnly, { verifyClient: (_info, cb) => cb(false, 401, 'Unauthorized') });
      const baseline = resources();
      const asked: Error[] = [];
      const rec = start(server.url, {
        retryDelay: 20,
        shouldReconnect: (error) => {
          asked.push(error);
          return !(error instanceof UpgradeError && error.status === 401);
        },
      });
      await rec.done();
      expect(rec.lines()).to.deep.equal(['CONNECTING a=0', 'DISCONNECTED UpgradeError']);
      const error = rec.statuses[1]?.error as UpgradeError;
      expect(error.status).to.equal(401);
      expect(error.message).to.include('401');
      expect(asked).to.deep.equal([error]);
      expect(rec.inputDone).to.equal(true);
      await settles(baseline);
    });

    it('a close with code 4001 and a reason is readable on the error; false stops the machine', async () => {
      const server = await wsServer(({ socket }) => socket.close(4001, 'token expired'));
      const rec = start(server.url, { shouldReconnect: (error) => !(error instanceof CloseError && error.code === 4001) });
      await rec.done();
      expect(rec.lines()).to.deep.equal(['CONNECTING a=0', 'CONNECTED p=""', 'DISCONNECTED CloseError']);
      const error = rec.statuses[2]?.error as CloseError;
      expect(error).to.be.instanceOf(CloseError);
      expect(error).to.include({ code: 4001, reason: 'token expired' });
      expect(server.peers).to.have.length(1);
    });

    it('asked after every drop and failed attempt; true goes on as usual', async () => {
      const server = await wsServer(({ socket }, i) => {
        if (i === 0) socket.close(4002, 'again');
      });
      const asked: string[] = [];
      const rec = start(server.url, {
        shouldReconnect: (error) => {
          asked.push(`${error.name} ${String(error instanceof CloseError ? error.code : undefined)}`);
          return true;
        },
      });
      await rec.nth('CONNECTED', 2);
      expect(asked).to.deep.equal(['CloseError 4002']);
    });
  });

  describe('handshake', () => {
    it('runs after open and before CONNECTED; link.send goes first, frames read meanwhile reach input$, then the queue is flushed', async () => {
      const welcome = deferred();
      const server = await wsServer(({ socket }) => {
        socket.once('message', () => {
          socket.send('early');
          void welcome.promise.then(() => socket.send('welcome'));
        });
      });
      let opened = false;
      const rec = start(server.url, {
        handshake: (link: Link) => {
          opened = true;
          link.send('auth:secret');
          return firstValueFrom(link.input$.pipe(filter((m) => m === 'welcome')));
        },
      });
      rec.machine.output.next('q1');
      rec.machine.output.next('q2');
      const peer = await server.peer(1);
      await rec.received(1);
      // The socket is open and the handshake runs: still CONNECTING, nothing queued has gone out.
      expect(opened).to.equal(true);
      expect(rec.lines()).to.deep.equal(['CONNECTING a=0']);
      expect(peer.frames.map(frameLine)).to.deep.equal(['b:auth:secret']);
      rec.machine.output.next('q3'); // sent during the handshake: queued too
      welcome.resolve();
      await nextState(rec.machine, 'CONNECTED');
      rec.machine.output.next('later');
      await until(() => peer.frames.length === 5, WAIT, 'five frames');
      expect(peer.frames.map(frameLine)).to.deep.equal(['b:auth:secret', 'b:q1', 'b:q2', 'b:q3', 'b:later']);
      expect(rec.input).to.deep.equal(['early', 'welcome']);
      expect(rec.lines()).to.deep.equal(['CONNECTING a=0', 'CONNECTED p=""']);
    });

    it('an Observable handshake succeeds on its first value; the protocol is still reported', async () => {
      const server = await wsServer(({ socket }) => socket.send('hello'), { handleProtocols: () => 'p1' });
      const rec = start(server.url, { protocols: ['p1'], handshake: (link) => link.input$.pipe(first()) });
      const status = await nextState(rec.machine, 'CONNECTED');
      expect(status).to.deep.equal({ state: 'CONNECTED', protocol: 'p1' });
      expect(rec.input).to.deep.equal(['hello']);
    });

    it('an Observable handshake that completes without a value succeeds too', async () => {
      const server = await wsServer(({ socket }) => socket.once('message', () => socket.send('ok')));
      const rec = start(server.url, {
        handshake: (link) => {
          link.send('hi');
          return link.input$.pipe(take(1), ignoreElements());
        },
      });
      rec.machine.output.next('q');
      await nextState(rec.machine, 'CONNECTED');
      const peer = await server.peer(1);
      await until(() => peer.frames.length === 2, WAIT, 'two frames');
      expect(peer.frames.map(frameLine)).to.deep.equal(['b:hi', 'b:q']);
      expect(rec.input).to.deep.equal(['ok']);
    });

    it('a handshake that throws synchronously, or errors as an Observable, is a failed attempt', async () => {
      const server = await wsServer();
      let calls = 0;
      const rec = start(server.url, {
        retryDelay: 20,
        handshake: () => {
          calls++;
          if (calls === 1) throw new Error('sync');
          if (calls === 2) return throwError(() => new Error('observable'));
          return Promise.resolve();
        },
      });
      await nextState(rec.machine, 'CONNECTED');
      expect(rec.lines()).to.deep.equal([
        'CONNECTING a=0',
        'DISCONNECTED HandshakeError',
        'WAITING a=1 d=20',
        'CONNECTING a=1',
        'DISCONNECTED HandshakeError',
        'WAITING a=2 d=20',
        'CONNECTING a=2',
        'CONNECTED p=""',
      ]);
      expect([rec.statuses[1], rec.statuses[4]].map((s) => (s?.error?.cause as Error).message)).to.deep.equal(['sync', 'observable']);
    });

    it('a handshake that rejects is a failed attempt and closes that socket; nothing queued reaches it', async () => {
      const server = await wsServer();
      let calls = 0;
      const rec = start(server.url, {
        retryDelay: 20,
        handshake: () => (++calls === 1 ? Promise.reject(new Error('bad credentials')) : Promise.resolve()),
      });
      rec.machine.output.next('q');
      await nextState(rec.machine, 'CONNECTED');
      expect(rec.lines()).to.deep.equal([
        'CONNECTING a=0',
        'DISCONNECTED HandshakeError',
        'WAITING a=1 d=20',
        'CONNECTING a=1',
        'CONNECTED p=""',
      ]);
      const error = rec.statuses[1]?.error as HandshakeError;
      expect(error).to.be.instanceOf(HandshakeError);
      expect((error.cause as Error).message).to.equal('bad credentials');
      const [first, second] = [await server.peer(1), await server.peer(2)];
      await until(() => first.closed !== undefined, WAIT, 'the failed socket to be closed');
      expect(first.frames).to.deep.equal([]);
      await until(() => second.frames.length === 1, WAIT, 'the queued frame');
      expect(second.frames.map(frameLine)).to.deep.equal(['b:q']);
    });

    it('a handshake that never ends fails the attempt after connectTimeout (ConnectTimeoutError) and closes that socket', async () => {
      const server = await wsServer();
      let released = false;
      const rec = start(server.url, {
        connectTimeout: 200,
        retryDelay: 10_000,
        handshake: () => NEVER.pipe(finalize(() => (released = true))),
      });
      await rec.count(3);
      expect(rec.lines()).to.deep.equal(['CONNECTING a=0', 'DISCONNECTED ConnectTimeoutError', 'WAITING a=1 d=10000']);
      expect(rec.statuses[1]?.error).to.be.instanceOf(ConnectTimeoutError);
      expectDue((rec.times[1] as number) - (rec.times[0] as number), 200);
      expect(released, 'the handshake is unsubscribed').to.equal(true);
      const peer = await server.peer(1);
      await until(() => peer.closed !== undefined, WAIT, 'the socket to be closed');
    });

    it('opening and handshake share the one connectTimeout budget, counted from the attempt’s start', async () => {
      // The server takes 120 ms to accept the upgrade; the handshake would take 150 ms more.
      const server = await wsServer(recordOnly, { verifyClient: (_info, cb) => void setTimeout(() => cb(true), 120) });
      const rec = start(server.url, {
        connectTimeout: 200,
        retryDelay: 10_000,
        handshake: () => new Promise((resolve) => setTimeout(resolve, 150)),
      });
      await rec.count(3);
      expect(rec.lines()).to.deep.equal(['CONNECTING a=0', 'DISCONNECTED ConnectTimeoutError', 'WAITING a=1 d=10000']);
      expectDue((rec.times[1] as number) - (rec.times[0] as number), 200);
      const peer = await server.peer(1);
      await until(() => peer.closed !== undefined, WAIT, 'the socket to be closed');
    });

    it('QUIT during the handshake: one DISCONNECTED, the server sees 1000, the handshake is unsubscribed', async () => {
      const server = await wsServer();
      let running = false;
      let released = false;
      const rec = start(server.url, {
        handshake: () => {
          running = true;
          return NEVER.pipe(finalize(() => (released = true)));
        },
      });
      const peer = await server.peer(1);
      await until(() => running, WAIT, 'the handshake to start');
      rec.machine.command.next(Command.QUIT);
      expect(rec.lines()).to.deep.equal(['CONNECTING a=0', 'DISCONNECTED']);
      await until(() => peer.closed !== undefined, WAIT, 'the close');
      expect(peer.closed?.code).to.equal(1000);
      expect(released).to.equal(true);
    });
  });

  describe('online$', () => {
    it('false at start: the first status is WAITING without a delay and no connection is attempted; true connects at once', async () => {
      const server = await wsServer();
      let upgrades = 0;
      server.wss.on('headers', () => upgrades++);
      const online$ = new BehaviorSubject(false);
      const rec = start(server.url, { online$ });
      expect(rec.lines()).to.deep.equal(['WAITING a=0']);
      await pause(60);
      expect(upgrades).to.equal(0);
      expect(rec.lines()).to.deep.equal(['WAITING a=0']);
      online$.next(true);
      expect(rec.lines()).to.deep.equal(['WAITING a=0', 'CONNECTING a=0']);
      await nextState(rec.machine, 'CONNECTED');
      expect(online$.observed).to.equal(true);
      rec.machine.command.next(Command.QUIT);
      expect(online$.observed, 'online$ is unsubscribed at QUIT').to.equal(false);
    });

    it('online$ is unsubscribed when the machine gives up', async () => {
      const online$ = new BehaviorSubject(true);
      const rec = start(await refusedUrl(), { online$, maxAttempts: 1 });
      await rec.done();
      expect(online$.observed).to.equal(false);
    });

    it('true at start: CONNECTING at once', async () => {
      const server = await wsServer();
      const rec = start(server.url, { online$: new BehaviorSubject(true) });
      expect(rec.lines()).to.deep.equal(['CONNECTING a=0']);
      await nextState(rec.machine, 'CONNECTED');
    });

    it('false during a wait cuts it into a rest (no attempt when it would have ended); true attempts at once', async () => {
      let upgrades = 0;
      const server = await wsServer(recordOnly, { verifyClient: (_info, cb) => cb(upgrades++ > 0, 503) });
      const online$ = new BehaviorSubject(true);
      const rec = start(server.url, { online$, retryDelay: 40 });
      await nextState(rec.machine, 'WAITING');
      online$.next(false);
      expect(rec.lines()).to.deep.equal(['CONNECTING a=0', 'DISCONNECTED UpgradeError', 'WAITING a=1 d=40', 'WAITING a=1']);
      await pause(90);
      expect(rec.statuses).to.have.length(4);
      expect(upgrades).to.equal(1);
      online$.next(true);
      expect(rec.lines().slice(4)).to.deep.equal(['CONNECTING a=1']);
      await nextState(rec.machine, 'CONNECTED');
    });

    // API.md: a change to `true` attempts at once; a repeated `true` changes nothing.
    it('a repeated true during a wait (while online) changes nothing', async () => {
      let upgrades = 0;
      const server = await wsServer(recordOnly, { verifyClient: (_info, cb) => cb(upgrades++ > 0, 503) });
      const online$ = new BehaviorSubject(true);
      const rec = start(server.url, { online$, retryDelay: 60_000 });
      await nextState(rec.machine, 'WAITING');
      online$.next(true);
      await pause(50);
      expect(rec.lines()).to.deep.equal(['CONNECTING a=0', 'DISCONNECTED UpgradeError', 'WAITING a=1 d=60000']);
      expect(upgrades).to.equal(1);
      rec.machine.command.next(Command.QUIT);
    });

    it('RECONNECT while offline in WAITING makes no attempt', async () => {
      const server = await wsServer();
      const online$ = new BehaviorSubject(false);
      const rec = start(server.url, { online$ });
      rec.machine.command.next(Command.RECONNECT);
      await pause(50);
      expect(rec.lines()).to.deep.equal(['WAITING a=0']);
      expect(server.peers).to.have.length(0);
    });

    it('a drop while offline rests in WAITING without a delay until online again', async () => {
      const server = await wsServer(({ socket }, i) => {
        if (i === 0) socket.once('message', () => socket.terminate());
      });
      const online$ = new BehaviorSubject(true);
      const rec = start(server.url, { online$, retryDelay: 20 });
      await nextState(rec.machine, 'CONNECTED');
      online$.next(false);
      expect(rec.lines()).to.deep.equal(['CONNECTING a=0', 'CONNECTED p=""']);
      rec.machine.output.next('drop me');
      await nextState(rec.machine, 'WAITING');
      expect(rec.lines()).to.deep.equal(['CONNECTING a=0', 'CONNECTED p=""', 'DISCONNECTED CloseError', 'WAITING a=1']);
      await pause(60);
      expect(server.peers).to.have.length(1);
      online$.next(true);
      await rec.nth('CONNECTED', 2);
      expect(rec.lines().slice(4)).to.deep.equal(['CONNECTING a=1', 'CONNECTED p=""']);
    });
  });
});
