import { expect } from 'chai';
import { asyncScheduler, mergeMap, tap } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import {
  FakeCloseEvent,
  FakeMessageEvent,
  FakeServer,
  FakeWebSocket,
  type FakeConnection,
  type FakeFrame,
  type FakeServerOptions,
} from '../../lib/testing/index.js';

// Runs `body` in virtual time and returns what it logged, each entry prefixed with its virtual time.
function virtual(
  body: (tools: { server: FakeServer; log: (entry: string) => void; at: (ms: number, fn: () => void) => void }) => void,
  options: FakeServerOptions = {},
): string[] {
  const scheduler = new TestScheduler((actual, expected) => {
    expect(actual).to.deep.equal(expected);
  });
  const entries: string[] = [];
  scheduler.run(() => {
    const server = new FakeServer({ scheduler, ...options });
    body({
      server,
      log: (entry) => entries.push(`${scheduler.now()} ${entry}`),
      at: (ms, fn) => scheduler.schedule(fn, ms),
    });
  });
  return entries;
}

// Logs every event of a socket in a readable form.
function watch(socket: FakeWebSocket, log: (entry: string) => void): void {
  socket.addEventListener('open', () => log(`open ${JSON.stringify(socket.protocol)}`));
  socket.addEventListener('error', () => log('error'));
  socket.addEventListener('message', (event) => {
    const { data } = event;
    if (typeof data === 'string') log(`text ${data}`);
    else if (data instanceof ArrayBuffer) log(`arraybuffer ${[...new Uint8Array(data)].join(',')}`);
    else log(`blob ${data.size}`);
  });
  socket.addEventListener('close', (event) => {
    const { code, reason, wasClean } = event;
    log(`close ${code} ${JSON.stringify(reason)} ${wasClean ? 'clean' : 'unclean'} readyState=${socket.readyState}`);
  });
}

// A message's data as a log line shows it: text as it is, anything else as String() would ('[object Blob]').
function dataText(data: string | ArrayBuffer | Blob): string {
  return typeof data === 'string' ? data : Object.prototype.toString.call(data);
}

function frames(connection: FakeConnection): string[] {
  return connection.received.map((frame: FakeFrame) =>
    frame.type === 'text' ? `text ${frame.data}` : `binary ${[...frame.data].join(',')}`,
  );
}

describe('testing kit: FakeServer and FakeWebSocket', function () {
  this.timeout(2000);

  describe('opening', () => {
    it('connects without firing anything inside the constructor, then opens with the first offered sub-protocol', () => {
      let server!: FakeServer;
      let socket!: FakeWebSocket;
      const synchronous: string[] = [];
      const log = virtual((t) => {
        server = t.server;
        socket = new server.WebSocket('http://test:8080/feed?x=1', ['v2', 'v1'], { headers: { Authorization: 'Bearer t' } });
        socket.onopen = () => synchronous.push('open');
        expect(socket.readyState).to.equal(FakeWebSocket.CONNECTING);
        expect(server.connections).to.have.length(0);
        watch(socket, t.log);
        server.connection$.subscribe((c) => t.log(`arrived ${c.url} ${c.protocols.join('+')} ${c.state}`));
      });
      expect(synchronous).to.deep.equal(['open']);
      expect(log).to.deep.equal(['0 arrived ws://test:8080/feed?x=1 v2+v1 open', '0 open "v2"']);
      expect(socket.url).to.equal('ws://test:8080/feed?x=1');
      expect(socket.readyState).to.equal(socket.OPEN);
      expect(socket.extensions).to.equal('');
      expect(server.lastConnection.headers).to.deep.equal({ Authorization: 'Bearer t' });
      expect(server.lastConnection.state).to.equal('open');
      expect(server.lastConnection.protocol).to.equal('v2');
    });

    it('takes a round trip of latency to open and one latency per frame', () => {
      const log = virtual(
        (t) => {
          const socket = new t.server.WebSocket('ws://test/');
          watch(socket, t.log);
          socket.onopen = () => socket.send('ping');
          t.server.connection$
            .pipe(
              mergeMap((c) =>
                c.received$.pipe(
                  tap((frame) => {
                    t.log(`server got ${frame.data as string}`);
                    c.send('pong');
                  }),
                ),
              ),
            )
            .subscribe();
          t.at(100, () => socket.close(1000));
        },
        { latency: 10 },
      );
      expect(log).to.deep.equal(['20 open ""', '30 server got ping', '40 text pong', '120 close 1000 "" clean readyState=3']);
    });

    it('uses selectProtocol when accepting automatically', () => {
      let socket!: FakeWebSocket;
      virtual(
        (t) => {
          socket = new t.server.WebSocket('ws://test/', ['a', 'b']);
        },
        { selectProtocol: (offered) => offered[offered.length - 1] ?? '' },
      );
      expect(socket.protocol).to.equal('b');
    });

    it('in manual mode waits for accept(), and checks the sub-protocol it is given', () => {
      let connection!: FakeConnection;
      const log = virtual(
        (t) => {
          const socket = new t.server.WebSocket('ws://test/', ['chat']);
          watch(socket, t.log);
          t.at(50, () => {
            connection = t.server.lastConnection;
            expect(connection.state).to.equal('connecting');
            expect(() => connection.accept('other')).to.throw(RangeError, /did not offer/);
            expect(() => connection.send('x')).to.throw(Error, /not open yet/);
            expect(() => connection.close()).to.throw(Error, /refuse/);
            connection.accept('chat');
            expect(() => connection.accept('chat')).to.throw(Error, /already open/);
            expect(() => connection.refuse()).to.throw(Error, /already open/);
          });
        },
        { answer: 'manual' },
      );
      expect(log).to.deep.equal(['50 open "chat"']);
      expect(connection.protocol).to.equal('chat');
    });

    it('refuses with error, then close 1006, and records it', () => {
      let connection!: FakeConnection;
      const log = virtual(
        (t) => {
          watch(new t.server.WebSocket('ws://test/'), t.log);
          t.server.connection$.subscribe((c) => (connection = c));
        },
        { answer: 'refuse' },
      );
      expect(log).to.deep.equal(['0 error', '0 close 1006 "" unclean readyState=3']);
      expect(connection.state).to.equal('closed');
      expect(connection.closed).to.deep.equal({ code: 1006, reason: '', wasClean: false, by: 'server' });
    });

    it('follows changes of answer for the connections that arrive afterwards', () => {
      const log = virtual((t) => {
        watch(new t.server.WebSocket('ws://test/1'), (e) => t.log(`1 ${e}`));
        t.at(10, () => {
          t.server.answer = 'refuse';
          watch(new t.server.WebSocket('ws://test/2'), (e) => t.log(`2 ${e}`));
        });
        t.at(20, () => {
          t.server.answer = 'manual';
          watch(new t.server.WebSocket('ws://test/3'), (e) => t.log(`3 ${e}`));
        });
      });
      expect(log).to.deep.equal(['0 1 open ""', '10 2 error', '10 2 close 1006 "" unclean readyState=3']);
    });

    it('lets the client give up while connecting: error, close 1006, and a later accept is ignored', () => {
      let connection!: FakeConnection;
      const log = virtual(
        (t) => {
          const socket = new t.server.WebSocket('ws://test/');
          watch(socket, t.log);
          t.at(5, () => {
            connection = t.server.lastConnection;
            socket.close();
            expect(socket.readyState).to.equal(FakeWebSocket.CLOSING);
          });
          t.at(6, () => connection.accept());
        },
        { answer: 'manual' },
      );
      expect(log).to.deep.equal(['5 error', '5 close 1006 "" unclean readyState=3']);
      expect(connection.closed).to.deep.equal({ code: 1006, reason: '', wasClean: false, by: 'client' });
    });
  });

  describe('messages', () => {
    it('records what the client sends, with its frame type, copied at send time', () => {
      let connection!: FakeConnection;
      const buffered: number[] = [];
      virtual((t) => {
        const socket = new t.server.WebSocket('ws://test/');
        socket.onopen = () => {
          const bytes = new Uint8Array([1, 2, 3]);
          socket.send('héllo');
          socket.send(bytes);
          socket.send(new Uint16Array([0x0102]).buffer);
          socket.send(new DataView(new Uint8Array([9, 8, 7, 6]).buffer, 1, 2));
          bytes[0] = 99;
          buffered.push(socket.bufferedAmount);
          t.at(0, () => buffered.push(socket.bufferedAmount));
        };
        t.server.connection$.subscribe((c) => (connection = c));
      });
      expect(frames(connection)).to.deep.equal(['text héllo', 'binary 1,2,3', 'binary 2,1', 'binary 8,7']);
      expect(buffered).to.deep.equal([6 + 3 + 2 + 2, 0]);
    });

    it('delivers binary frames as Blob by default and as ArrayBuffer with binaryType arraybuffer', async () => {
      const blobs: Blob[] = [];
      const log = virtual((t) => {
        const socket = new t.server.WebSocket('ws://test/');
        expect(socket.binaryType).to.equal('blob');
        watch(socket, t.log);
        socket.addEventListener('message', (event) => {
          const { data } = event;
          if (data instanceof Blob) blobs.push(data);
        });
        t.server.connection$.subscribe((c) => {
          const payload = new Uint8Array([4, 5]);
          c.send(payload);
          payload[0] = 0; // the frame was copied when sent
          c.send('text');
        });
        t.at(10, () => {
          socket.binaryType = 'arraybuffer';
          socket.binaryType = 'nonsense' as 'blob';
          expect(socket.binaryType).to.equal('arraybuffer');
          t.server.lastConnection.send(new Uint8Array([6, 7]));
        });
      });
      expect(log).to.deep.equal(['0 open ""', '0 blob 2', '0 text text', '10 arraybuffer 6,7']);
      expect([...new Uint8Array(await blobs[0]!.arrayBuffer())]).to.deep.equal([4, 5]);
    });

    it('gives each message event its origin, and keeps each ArrayBuffer to itself', () => {
      const events: FakeMessageEvent[] = [];
      virtual((t) => {
        const socket = new t.server.WebSocket('wss://test:9000/x');
        socket.binaryType = 'arraybuffer';
        socket.onmessage = (event) => events.push(event);
        t.server.connection$.subscribe((c) => {
          const shared = new Uint8Array([1, 2, 3, 4]);
          c.send(shared.subarray(1, 3));
          c.send(shared.subarray(1, 3));
        });
      });
      expect(events.map((e) => e.origin)).to.deep.equal(['wss://test:9000', 'wss://test:9000']);
      expect(events[0]!.data).to.not.equal(events[1]!.data);
      expect([...new Uint8Array(events[0]!.data as ArrayBuffer)]).to.deep.equal([2, 3]);
      expect(events[0]!.target).to.be.an.instanceOf(FakeWebSocket);
    });

    it('throws InvalidStateError for send while connecting and TypeError for what it cannot send', () => {
      virtual((t) => {
        const socket = new t.server.WebSocket('ws://test/');
        expect(() => socket.send('early'))
          .to.throw(DOMException)
          .with.property('name', 'InvalidStateError');
        socket.onopen = () => {
          expect(() => socket.send(42 as unknown as string)).to.throw(TypeError, /not number/);
          expect(() => socket.send(new Blob(['x']))).to.throw(TypeError, /Blob/);
          expect(() => t.server.lastConnection.send({} as string)).to.throw(TypeError, /Object/);
        };
      });
    });

    it('counts what is sent after close() in bufferedAmount and never delivers it', () => {
      let connection!: FakeConnection;
      let socket!: FakeWebSocket;
      virtual((t) => {
        socket = new t.server.WebSocket('ws://test/');
        socket.onopen = () => {
          socket.send('before');
          socket.close(1000, 'done');
          socket.send('after');
        };
        t.server.connection$.subscribe((c) => (connection = c));
      });
      expect(frames(connection)).to.deep.equal(['text before']);
      expect(socket.bufferedAmount).to.equal(5);
    });

    it('drops server messages that reach a closing socket', () => {
      const log = virtual(
        (t) => {
          const socket = new t.server.WebSocket('ws://test/');
          watch(socket, t.log);
          t.at(50, () => {
            t.server.lastConnection.send('in flight');
            socket.close(4001);
          });
        },
        { latency: 5 },
      );
      expect(log).to.deep.equal(['10 open ""', '60 close 4001 "" clean readyState=3']);
    });
  });

  describe('closing', () => {
    it('runs the client-initiated closing handshake and records the code and reason', () => {
      let connection!: FakeConnection;
      let completed = false;
      const log = virtual(
        (t) => {
          const socket = new t.server.WebSocket('ws://test/');
          watch(socket, t.log);
          t.server.connection$
            .pipe(
              tap((c) => (connection = c)),
              mergeMap((c) => c.received$.pipe(tap({ complete: () => t.log('server saw the close') }))),
            )
            .subscribe();
          t.at(10, () => {
            socket.close(1000, 'bye');
            expect(socket.readyState).to.equal(FakeWebSocket.CLOSING);
            socket.close(3000); // a second close is ignored
          });
          t.at(12, () => (completed = connection.state === 'closed'));
        },
        { latency: 1 },
      );
      expect(log).to.deep.equal(['2 open ""', '11 server saw the close', '12 close 1000 "bye" clean readyState=3']);
      expect(connection.closed).to.deep.equal({ code: 1000, reason: 'bye', wasClean: true, by: 'client' });
      expect(completed).to.equal(true);
    });

    it('reports 1005 for a close frame without a code, and 1000 for a reason alone', () => {
      const closes: (FakeCloseEvent | undefined)[] = [];
      let server!: FakeServer;
      virtual((t) => {
        server = t.server;
        const a = new t.server.WebSocket('ws://test/a');
        const b = new t.server.WebSocket('ws://test/b');
        a.onopen = () => a.close();
        b.onopen = () => b.close(undefined, 'why');
        a.onclose = (e) => closes.push(e);
        b.onclose = (e) => closes.push(e);
      });
      expect(server.connections.map((c) => c.closed?.code)).to.deep.equal([1005, 1000]);
      expect(closes.map((e) => [e?.code, e?.reason])).to.deep.equal([
        [1005, ''],
        [1000, 'why'],
      ]);
    });

    it('validates close codes and reasons on both sides', () => {
      virtual((t) => {
        const socket = new t.server.WebSocket('ws://test/');
        for (const code of [999, 1001, 2999, 5000, 3000.5]) {
          expect(() => socket.close(code), String(code))
            .to.throw(DOMException)
            .with.property('name', 'InvalidAccessError');
        }
        expect(() => socket.close(1000, 'x'.repeat(124)))
          .to.throw(DOMException)
          .with.property('name', 'SyntaxError');
        expect(socket.readyState).to.equal(FakeWebSocket.CONNECTING);
        socket.onopen = () => {
          const connection = t.server.lastConnection;
          for (const code of [999, 1004, 1005, 1006, 1015, 5000]) {
            expect(() => connection.close(code), String(code)).to.throw(RangeError);
          }
          expect(() => connection.close(1000, 'é'.repeat(62))).to.throw(RangeError, /123/);
          connection.close(1011, 'é'.repeat(61));
        };
      });
    });

    it('lets the server close with a code and reason, completing received$', () => {
      let connection!: FakeConnection;
      const log = virtual((t) => {
        const socket = new t.server.WebSocket('ws://test/');
        watch(socket, t.log);
        t.server.connection$
          .pipe(
            tap((c) => (connection = c)),
            mergeMap((c) => c.received$.pipe(tap({ complete: () => t.log('received$ complete') }))),
          )
          .subscribe();
        t.at(30, () => {
          connection.send('last words');
          connection.close(4000, 'kicked');
          connection.send('ignored');
          connection.close(4001);
          connection.drop();
        });
      });
      expect(log).to.deep.equal(['0 open ""', '30 received$ complete', '30 text last words', '30 close 4000 "kicked" clean readyState=3']);
      expect(connection.closed).to.deep.equal({ code: 4000, reason: 'kicked', wasClean: true, by: 'server' });
    });

    it('drops a connection with 1006 and no error event, after what was already sent', () => {
      let connection!: FakeConnection;
      const log = virtual((t) => {
        const socket = new t.server.WebSocket('ws://test/');
        watch(socket, t.log);
        t.at(30, () => {
          connection = t.server.lastConnection;
          connection.send('a');
          connection.drop();
          socket.send('lost'); // still OPEN on the client side, but nobody is listening
        });
      });
      expect(log).to.deep.equal(['0 open ""', '30 text a', '30 close 1006 "" unclean readyState=3']);
      expect(connection.closed).to.deep.equal({ code: 1006, reason: '', wasClean: false, by: 'server' });
      expect(connection.received).to.deep.equal([]);
    });

    it('dropAll() ends every connection; closeAll() closes open ones with 1001 and refuses waiting ones', () => {
      const log = virtual((t) => {
        watch(new t.server.WebSocket('ws://test/1'), (e) => t.log(`1 ${e}`));
        watch(new t.server.WebSocket('ws://test/2'), (e) => t.log(`2 ${e}`));
        t.at(10, () => {
          expect(t.server.openConnections).to.have.length(2);
          t.server.dropAll();
          expect(t.server.openConnections).to.have.length(0);
          t.server.answer = 'manual';
          watch(new t.server.WebSocket('ws://test/3'), (e) => t.log(`3 ${e}`));
          watch(new t.server.WebSocket('ws://test/4'), (e) => t.log(`4 ${e}`));
        });
        t.at(20, () => {
          t.server.connections[2]!.accept();
        });
        t.at(30, () => t.server.closeAll());
      });
      expect(log).to.deep.equal([
        '0 1 open ""',
        '0 2 open ""',
        '10 1 close 1006 "" unclean readyState=3',
        '10 2 close 1006 "" unclean readyState=3',
        '20 3 open ""',
        '30 3 close 1001 "" clean readyState=3',
        '30 4 error',
        '30 4 close 1006 "" unclean readyState=3',
      ]);
    });
  });

  describe('the WHATWG surface', () => {
    it('has the readyState constants on the constructor and on instances', () => {
      const server = new FakeServer();
      expect([server.WebSocket.CONNECTING, server.WebSocket.OPEN, server.WebSocket.CLOSING, server.WebSocket.CLOSED]).to.deep.equal([
        0, 1, 2, 3,
      ]);
      const socket = new server.WebSocket('ws://test/');
      expect([socket.CONNECTING, socket.OPEN, socket.CLOSING, socket.CLOSED]).to.deep.equal([0, 1, 2, 3]);
      expect(socket).to.be.an.instanceOf(FakeWebSocket).and.an.instanceOf(EventTarget);
      socket.close(); // leaves no pending work beyond one asyncScheduler tick
    });

    it('rejects bad URLs and sub-protocols as a browser does', () => {
      const server = new FakeServer();
      for (const url of ['not a url', 'ftp://test/', 'ws://test/#frag']) {
        expect(() => new server.WebSocket(url), url)
          .to.throw(DOMException)
          .with.property('name', 'SyntaxError');
      }
      for (const protocols of [['a', 'a'], ['with space'], ['']]) {
        expect(() => new server.WebSocket('ws://test/', protocols), protocols.join())
          .to.throw(DOMException)
          .with.property('name', 'SyntaxError');
      }
      expect(() => new FakeWebSocket('ws://test/')).to.throw(TypeError, /server\.WebSocket/);
      expect(server.connections).to.have.length(0);
    });

    it('keeps an on* handler in its place among listeners, and removes it when set to null', () => {
      const calls: string[] = [];
      virtual((t) => {
        const socket = new t.server.WebSocket('ws://test/');
        socket.addEventListener('message', () => calls.push('first listener'));
        socket.onmessage = () => calls.push('old handler');
        socket.addEventListener('message', () => calls.push('last listener'));
        socket.onmessage = function (this: FakeWebSocket, event) {
          calls.push(`handler ${dataText(event.data)} this=${this === socket}`);
        };
        expect(socket.onmessage).to.be.a('function');
        t.server.connection$.subscribe((c) => c.send('one'));
        t.at(10, () => {
          socket.onmessage = null;
          expect(socket.onmessage).to.equal(null);
          t.server.lastConnection.send('two');
        });
      });
      expect(calls).to.deep.equal(['first listener', 'handler one this=true', 'last listener', 'first listener', 'last listener']);
    });

    it('types addEventListener by event (message: FakeMessageEvent, close: FakeCloseEvent); handleEvent objects and removal work', () => {
      const seen: string[] = [];
      virtual((t) => {
        const socket = new t.server.WebSocket('ws://test/');
        const onMessage = (event: FakeMessageEvent): void => void seen.push(`message ${dataText(event.data)} from ${event.origin}`);
        socket.addEventListener('message', onMessage);
        socket.addEventListener('message', { handleEvent: (event) => seen.push(`object ${dataText(event.data)}`) });
        socket.addEventListener('close', (event: FakeCloseEvent) =>
          seen.push(`close ${event.code} ${event.wasClean ? 'clean' : 'unclean'}`),
        );
        // @ts-expect-error a close event carries no data
        socket.addEventListener('close', (event) => event.data);
        t.server.connection$.subscribe((c) => c.send('one'));
        t.at(10, () => {
          socket.removeEventListener('message', onMessage);
          t.server.lastConnection.send('two');
        });
        t.at(20, () => t.server.lastConnection.close(4000));
      });
      expect(seen).to.deep.equal(['message one from ws://test', 'object one', 'object two', 'close 4000 clean']);
    });

    it('rejects bad server options', () => {
      expect(() => new FakeServer({ latency: -1 })).to.throw(RangeError, /latency/);
      expect(() => new FakeServer({ answer: 'maybe' as 'manual' })).to.throw(RangeError, /answer/);
      expect(() => new FakeServer().lastConnection).to.throw(Error, /no connection/);
    });

    it('fits where a DOM WebSocket constructor is expected', () => {
      const server = new FakeServer();
      // A compile-time check: the assignment fails to type-check if the fake drifts from the DOM API.
      const ctor: typeof WebSocket = server.WebSocket;
      expect(ctor).to.equal(server.WebSocket);
      expect(ctor.name).to.equal('WebSocket');
    });
  });

  describe('in real time on asyncScheduler', () => {
    it('delivers events asynchronously and in order', async () => {
      const server = new FakeServer({ scheduler: asyncScheduler });
      const socket = new server.WebSocket('ws://test/');
      const seen: string[] = [];
      watch(socket, (e) => seen.push(e));
      server.connection$.pipe(mergeMap((c) => c.received$.pipe(tap((frame) => c.send(`echo ${frame.data as string}`))))).subscribe();
      await new Promise((resolve) => socket.addEventListener('open', resolve, { once: true }));
      socket.send('a');
      socket.send('b');
      expect(seen).to.deep.equal(['open ""']);
      await new Promise<void>((resolve) => socket.addEventListener('message', (e) => e.data === 'echo b' && resolve()));
      socket.close(1000);
      expect(socket.readyState).to.equal(FakeWebSocket.CLOSING);
      await new Promise((resolve) => socket.addEventListener('close', resolve, { once: true }));
      expect(seen).to.deep.equal(['open ""', 'text echo a', 'text echo b', 'close 1000 "" clean readyState=3']);
    });
  });
});
