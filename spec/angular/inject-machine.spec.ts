// injectMachine in Node, without a browser: the server platform (server-side rendering) and what
// holds on any platform (injection context, QUIT on destroy, one machine per call). The browser
// side (zones, rendering, reconnects) is proven in Chromium by app.spec.ts.
import type { AddressInfo } from 'node:net';
import { Injector, PLATFORM_ID, runInInjectionContext, type DestroyableInjector } from '@angular/core';
import { expect } from 'chai';
import { BehaviorSubject } from 'rxjs';
import { WebSocketServer } from 'ws';
import type { Status } from '../../lib/index.js';
import { injectMachine } from '../../lib/angular/index.js';

/** An injector as a server-side render has one: the server platform, no zone. */
function serverInjector(): DestroyableInjector {
  return Injector.create({ providers: [{ provide: PLATFORM_ID, useValue: 'server' }] });
}

function statesOf(ref: { machine: { state$: { subscribe(o: { next(s: Status): void }): unknown } } }): Status[] {
  const seen: Status[] = [];
  ref.machine.state$.subscribe({ next: (s) => seen.push(s) });
  return seen;
}

describe('injectMachine in Node', function () {
  this.timeout(5000);
  let wss: WebSocketServer;
  let url: string;
  let upgrades: number;

  beforeEach(async () => {
    upgrades = 0;
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    wss.on('connection', () => upgrades++);
    await new Promise((resolve) => wss.once('listening', resolve));
    url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/ws`;
  });

  afterEach(async () => {
    await new Promise((resolve) => wss.close(resolve));
  });

  describe('on the server platform', () => {
    it('opens no socket, whatever online$ says: the machine rests in WAITING without a delay', async () => {
      const injector = serverInjector();
      const ref = runInInjectionContext(injector, () => injectMachine(url, { online$: new BehaviorSubject(true), retryDelay: 0 }));
      expect(ref.status()).to.deep.equal({ state: 'WAITING', attempt: 0 });
      const seen = statesOf(ref);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(upgrades, 'connections the server saw').to.equal(0);
      expect(seen.map((s) => s.state)).to.deep.equal(['WAITING']);
      expect(ref.lastError()).to.equal(undefined);
      injector.destroy();
    });

    it('accepts a relative URL and does not resolve it', () => {
      const injector = serverInjector();
      for (const relative of ['/ws', 'ws', '//example.com/ws']) {
        const ref = runInInjectionContext(injector, () => injectMachine(relative));
        expect(ref.status().state).to.equal('WAITING');
        expect(ref.machine.url, 'no attempt, so no URL yet').to.equal('');
      }
      injector.destroy();
    });

    it('still refuses an absolute URL that no machine could use, as in the browser', () => {
      const injector = serverInjector();
      expect(() => runInInjectionContext(injector, () => injectMachine('ftp://example.com/ws'))).to.throw(SyntaxError, /ftp/);
      injector.destroy();
    });
  });

  it('QUITs when its injector is destroyed: a final DISCONNECTED, then state$ completes', () => {
    const injector = serverInjector();
    const ref = runInInjectionContext(injector, () => injectMachine('/ws'));
    const seen: string[] = [];
    let completed = false;
    ref.machine.state$.subscribe({ next: (s) => seen.push(s.state), complete: () => (completed = true) });
    injector.destroy();
    expect(seen).to.deep.equal(['WAITING', 'DISCONNECTED']);
    expect(completed).to.equal(true);
    expect(ref.status()).to.deep.equal({ state: 'DISCONNECTED' });
  });

  it('makes a machine per call: destroying one injector leaves the other machine running', () => {
    const first = serverInjector();
    const second = serverInjector();
    const a = runInInjectionContext(first, () => injectMachine('/a'));
    const b = runInInjectionContext(second, () => injectMachine('/b'));
    expect(a.machine).not.to.equal(b.machine);
    first.destroy();
    expect(a.status().state).to.equal('DISCONNECTED');
    expect(b.status().state).to.equal('WAITING');
    second.destroy();
  });

  it('needs an injection context, or an injector option', () => {
    expect(() => injectMachine('/ws')).to.throw(/NG0203|injection context/);
    const injector = serverInjector();
    const ref = injectMachine('/ws', { injector });
    expect(ref.status().state).to.equal('WAITING');
    injector.destroy();
    expect(ref.status().state).to.equal('DISCONNECTED');
  });
});
