import { EventEmitter } from 'node:events';
import { expect } from 'chai';
import { resolveOptions } from '../lib/config.js';
import type { MachineError } from '../lib/errors.js';
import { nodePlatform } from '../lib/platform-node.js';
import type { Sink, Transport } from '../lib/transport.js';
import { CORK_LIMIT, openWs } from '../lib/transport-ws.js';

/**
 * What reached the fake kernel, in order: each write with the sizes of the messages it carried,
 * and the close or abort.
 */
type Entry = readonly ['write', number[]] | readonly ['close', number | undefined] | readonly ['terminate'];

/** A net.Socket as far as the transport uses it: cork, uncork, the bytes waiting, 'data'. */
class FakeSocket extends EventEmitter {
  writableLength = 0;
  private corks = 0;
  private waiting: number[] = [];

  constructor(private readonly log: Entry[]) {
    super();
  }

  cork(): void {
    this.corks++;
  }

  uncork(): void {
    if (this.corks === 0) return;
    this.corks--;
    if (this.corks === 0) this.flush();
  }

  write(bytes: number): void {
    this.waiting.push(bytes);
    this.writableLength += bytes;
    if (this.corks === 0) this.flush();
  }

  get corked(): boolean {
    return this.corks > 0;
  }

  private flush(): void {
    if (this.waiting.length === 0) return;
    this.log.push(['write', this.waiting]);
    this.waiting = [];
    this.writableLength = 0;
  }
}

/**
 * Under the fake ws: a net.Socket; none (Bun's ws layer today); or an emitter that cannot cork (a
 * compatibility layer that gives some socket, but not Node's).
 */
type Under = 'net' | 'none' | 'emitter';

/** A `ws` client as far as the transport drives it. */
function fakeWs(log: Entry[], under: Under) {
  const made: FakeWs[] = [];
  class FakeWs extends EventEmitter {
    readyState = 0;
    protocol = '';
    _socket: EventEmitter | undefined = under === 'net' ? new FakeSocket(log) : under === 'emitter' ? new EventEmitter() : undefined;

    constructor() {
      super();
      made.push(this);
    }

    send(message: string | Uint8Array): void {
      const bytes = typeof message === 'string' ? message.length : message.byteLength;
      if (this._socket instanceof FakeSocket) this._socket.write(bytes);
      else log.push(['write', [bytes]]);
    }

    ping(): void {
      // Nothing to record.
    }

    get bufferedAmount(): number {
      return this._socket instanceof FakeSocket ? this._socket.writableLength : 0;
    }

    close(code?: number): void {
      this.readyState = 2;
      log.push(['close', code]);
    }

    terminate(): void {
      this.readyState = 3;
      log.push(['terminate']);
    }

    /** The server accepted: as ws does it, OPEN first, then 'open'. */
    accept(): void {
      this.readyState = 1;
      this.emit('open');
    }
  }
  return { FakeWs, made };
}

const sink: Sink = {
  open: () => undefined,
  message: () => undefined,
  activity: () => undefined,
  pong: () => undefined,
  fail: (error: MachineError) => {
    throw error;
  },
};

/** An open transport on a fake ws, and what reached the fake kernel. */
function open(under: Under = 'net'): { transport: Transport; log: Entry[]; socket: FakeSocket } {
  const log: Entry[] = [];
  const { FakeWs, made } = fakeWs(log, under);
  const config = resolveOptions({ WebSocket: FakeWs as never }, nodePlatform);
  const transport = openWs(config, { url: 'ws://127.0.0.1:1/', protocols: undefined, headers: undefined }, sink);
  const ws = made[0]!;
  ws.accept();
  return { transport, log, socket: ws._socket as FakeSocket };
}

/** After the transport's end-of-tick (queued before this is called). */
const tickEnd = (): Promise<void> => new Promise((resolve) => process.nextTick(resolve));

const bytes = (n: number): Uint8Array => new Uint8Array(n);

describe('transport-ws: writes of one tick go together', function () {
  this.timeout(2000);

  it('the first send of a tick is written at once', () => {
    const { transport, log } = open();
    expect(transport.send(bytes(10), true)).to.equal(10);
    expect(log).to.deep.equal([['write', [10]]]);
  });

  it('the sends after it in the same tick are held, in order, and written together when the tick ends', async () => {
    const { transport, log, socket } = open();
    transport.send(bytes(1), true);
    transport.send(bytes(2), true);
    transport.send('abc', false);
    expect(log).to.deep.equal([['write', [1]]]);
    expect(socket.corked).to.equal(true);
    // Held bytes count as buffered: flow control sees them.
    expect(transport.bufferedAmount).to.equal(5);
    await tickEnd();
    expect(log).to.deep.equal([
      ['write', [1]],
      ['write', [2, 3]],
    ]);
    expect(socket.corked).to.equal(false);
  });

  it('a new tick starts again: its first send is written at once', async () => {
    const { transport, log } = open();
    transport.send(bytes(1), true);
    transport.send(bytes(2), true);
    await tickEnd();
    transport.send(bytes(3), true);
    expect(log).to.deep.equal([
      ['write', [1]],
      ['write', [2]],
      ['write', [3]],
    ]);
    await tickEnd();
    expect(log).to.have.length(3);
  });

  it(`held sends are written as soon as ${CORK_LIMIT / 1024} KiB wait, not only at the tick's end`, async () => {
    const { transport, log } = open();
    const size = CORK_LIMIT / 4;
    for (let i = 0; i < 10; i++) transport.send(bytes(size), true);
    // The first at once; then every fourth reaches the limit and lets the four go.
    expect(log).to.deep.equal([
      ['write', [size]],
      ['write', [size, size, size, size]],
      ['write', [size, size, size, size]],
    ]);
    await tickEnd();
    expect(log.at(-1)).to.deep.equal(['write', [size]]);
    expect(log).to.have.length(4);
  });

  it('close with a code writes what the tick held before the close frame', () => {
    const { transport, log } = open();
    transport.send(bytes(1), true);
    transport.send(bytes(2), true);
    transport.close(1000);
    expect(log).to.deep.equal([
      ['write', [1]],
      ['write', [2]],
      ['close', 1000],
    ]);
  });

  it('an abort (close without a code) writes what the tick held first: a send before RECONNECT is not lost in the cork', async () => {
    const { transport, log, socket } = open();
    transport.send(bytes(1), true);
    transport.send(bytes(2), true);
    transport.send(bytes(3), true);
    transport.close();
    expect(log).to.deep.equal([['write', [1]], ['write', [2, 3]], ['terminate']]);
    await tickEnd();
    expect(socket.corked).to.equal(false);
    expect(log).to.have.length(3);
  });

  it('nothing is sent once the socket is not open: send gives -1, and the tick holds nothing', async () => {
    const { transport, log } = open();
    transport.close(1000);
    expect(transport.send(bytes(1), true)).to.equal(-1);
    await tickEnd();
    expect(log).to.deep.equal([['close', 1000]]);
  });

  for (const under of ['none', 'emitter'] as const) {
    it(`without a socket that can cork (${under === 'none' ? "Bun's ws layer" : 'one of another runtime'}), every send goes straight to ws`, async () => {
      const { transport, log } = open(under);
      transport.send(bytes(1), true);
      transport.send(bytes(2), true);
      transport.close();
      expect(log).to.deep.equal([['write', [1]], ['write', [2]], ['terminate']]);
      await tickEnd();
      expect(log).to.have.length(3);
    });
  }
});
