import { expect } from 'chai';
import { NEVER, of, throwError } from 'rxjs';
import WebSocket from 'ws';
import { TestScheduler } from 'rxjs/testing';
import { Attempt, type AttemptHost } from '../lib/attempt.js';
import { resolveOptions, resolveUrl } from '../lib/config.js';
import type { MachineOptions } from '../lib/options.js';
import type { Platform } from '../lib/platform.js';
import type { Event } from '../lib/reducer.js';
import type { OpenRequest, Sink, Transport } from '../lib/transport.js';

/** An attempt on a stub platform that records what it was asked to open; returns its events. */
function attempt(
  url: unknown,
  options: MachineOptions,
  body: (a: Attempt, opened: OpenRequest[], sinks: Sink[]) => void = () => undefined,
) {
  const scheduler = new TestScheduler(() => undefined);
  const events: [number, Event][] = [];
  const opened: OpenRequest[] = [];
  const sinks: Sink[] = [];
  const transport: Transport = { send: () => 1, ping: () => true, bufferedAmount: 0, close: () => undefined };
  const platform: Platform = {
    WebSocket,
    native: true,
    node: true,
    online$: undefined,
    open: (_config, request, sink) => {
      opened.push(request);
      sinks.push(sink);
      return transport;
    },
  };
  let url$ = '';
  scheduler.run(() => {
    const config = resolveOptions({ scheduler, ...options }, platform);
    const host: AttemptHost = {
      target: resolveUrl(url),
      config,
      event: (e) => events.push([scheduler.now(), e]),
      message: () => undefined,
      pong: () => undefined,
      opening: (u) => (url$ = u),
      sendNow: () => true,
    };
    const a = new Attempt(7, host);
    a.start();
    body(a, opened, sinks);
  });
  return { events, opened, url: url$ };
}

describe('Attempt: one attempt, from the providers to the handshake', function () {
  this.timeout(2000);

  it('opens a static URL at once, with the static headers and protocols', () => {
    const { opened, url } = attempt('ws://h/', { headers: { a: '1' }, protocols: ['p'] });
    expect(opened).to.deep.equal([{ url: 'ws://h/', protocols: ['p'], headers: { a: '1' } }]);
    expect(url).to.equal('ws://h/');
  });

  it('calls the URL and headers providers first, and checks what they give', () => {
    const { opened } = attempt(() => 'https://h/x', { headers: () => ({ b: '2' }) });
    expect(opened).to.deep.equal([{ url: 'wss://h/x', protocols: undefined, headers: { b: '2' } }]);
  });

  it('a provider that throws, or gives a bad value, fails the attempt a tick later, as a socket would', () => {
    for (const [url, headers] of [
      [
        () => {
          throw new Error('no token');
        },
        undefined,
      ],
      [() => 'ftp://h/', undefined],
      ['ws://h/', () => ({ c: 3 })],
    ] as const) {
      const { events, opened } = attempt(url, { headers: headers as never });
      expect(opened).to.deep.equal([]);
      expect(events).to.have.length(1);
      const [time, event] = events[0]!;
      expect(time).to.equal(0);
      expect(event).to.include({ type: 'FAILED', id: 7 });
      expect(event.type === 'FAILED' && event.error.name).to.equal('ConnectError');
    }
  });

  it('reports OPENED, then runs the handshake: READY on success, FAILED(HandshakeError) on failure, once', () => {
    const ok = attempt('ws://h/', { handshake: () => of(1, 2) }, (a, _o, sinks) => {
      sinks[0]!.open('v1');
      a.handshake();
    });
    expect(ok.events.map(([, e]) => e)).to.deep.equal([
      { type: 'OPENED', id: 7, protocol: 'v1' },
      { type: 'READY', id: 7 },
    ]);
    const bad = attempt('ws://h/', { handshake: () => throwError(() => new Error('denied')) }, (a) => a.handshake());
    const failed = bad.events.map(([, e]) => e)[0];
    expect(failed?.type === 'FAILED' && [failed.error.name, failed.error.message]).to.deep.equal([
      'HandshakeError',
      'handshake failed: denied',
    ]);
    const pending = attempt('ws://h/', { handshake: () => NEVER }, (a) => {
      a.handshake();
      a.settle(); // CONNECTED by other means, or given up: the handshake says nothing more
    });
    expect(pending.events).to.deep.equal([]);
  });
});
