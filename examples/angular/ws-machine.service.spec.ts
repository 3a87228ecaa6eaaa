// Unit tests of the Angular example, with ws-machine/testing and a real NgZone (zone.js for Node).
// Run by `npm run test:angular`, in a process of their own since zone.js patches Node's globals.
import 'zone.js/node';
import '@angular/compiler'; // JIT: lets @Injectable run without an Angular build
import { expect } from 'chai';
import { createEnvironmentInjector, Injector, NgZone, type EnvironmentInjector } from '@angular/core';
import { asyncScheduler, firstValueFrom, filter, take, toArray } from 'rxjs';
import { Command, Machine, State, type MachineOptions } from 'ws-machine';
import { FakeServer } from 'ws-machine/testing';
import { WsMachineService, provideWsMachine } from './ws-machine.service';

interface Quote {
  symbol: string;
  price: number;
}

describe('Angular example: WsMachineService', function () {
  this.timeout(3000);
  let zone: NgZone;
  let server: FakeServer;
  let injector: EnvironmentInjector | undefined;

  // Creates the service the way Angular would: in an injector that provides it, on a real NgZone.
  function create(options: MachineOptions = {}): WsMachineService<Quote> {
    const root = Injector.create({ providers: [{ provide: NgZone, useValue: zone }] }) as EnvironmentInjector;
    injector = createEnvironmentInjector(
      provideWsMachine<Quote>({ url: 'ws://quotes.test/stream', options: { WebSocket: server.WebSocket, format: 'text', ...options } }),
      root,
    );
    // Angular creates services inside its zone; so does this test.
    return zone.run(() => injector!.get(WsMachineService) as WsMachineService<Quote>);
  }

  function whenConnected(service: WsMachineService<Quote>): Promise<unknown> {
    return firstValueFrom(service.state$.pipe(filter((s) => s.state === State.CONNECTED)));
  }

  beforeEach(() => {
    zone = new NgZone({ enableLongStackTrace: false });
    server = new FakeServer({ scheduler: asyncScheduler });
  });

  afterEach(() => {
    injector?.destroy();
    injector = undefined;
  });

  it('exposes typed messages, state and signals, and sends JSON', async () => {
    server.connection$.subscribe((connection) => {
      connection.send('{"symbol":"ACME","price":12.5}');
      connection.send('not json'); // skipped, the stream goes on
      connection.send('{"symbol":"INIT","price":1}');
    });
    const service = create();
    expect(service.status().state).to.equal(State.CONNECTING);
    const quotes = firstValueFrom(service.messages$.pipe(take(2), toArray()));
    service.send({ type: 'subscribe', symbol: 'ACME' });
    expect(await quotes).to.deep.equal([
      { symbol: 'ACME', price: 12.5 },
      { symbol: 'INIT', price: 1 },
    ]);
    expect(service.connected()).to.equal(true);
    expect(service.latest()).to.deep.equal({ symbol: 'INIT', price: 1 });
    await new Promise((resolve) => server.lastConnection.received$.pipe(take(1)).subscribe(resolve));
    expect(server.lastConnection.received).to.deep.equal([{ type: 'text', data: '{"type":"subscribe","symbol":"ACME"}' }]);
  });

  it('QUITs (close 1000) when its injector is destroyed', async () => {
    const service = create();
    await whenConnected(service);
    const states: string[] = [];
    service.state$.subscribe({ next: (s) => states.push(s.state), complete: () => states.push('complete') });
    injector!.destroy();
    injector = undefined;
    expect(states).to.deep.equal([State.CONNECTED, State.DISCONNECTED, 'complete']);
    // The close frame reaches the server on the fake network's next turn.
    await new Promise((resolve) => server.lastConnection.received$.subscribe({ complete: () => resolve(undefined) }));
    expect(server.lastConnection.closed).to.deep.include({ code: 1000, by: 'client' });
  });

  it('keeps the machine and its timers outside the zone, and delivers to the UI inside it', async () => {
    // Keep-alive and a retry wait give the machine timers that would keep the zone unstable.
    const service = create({ pingInterval: 60_000, heartbeat: 'ping', retryDelay: 60_000 });
    const zones: boolean[] = [];
    zone.run(() => service.state$.subscribe(() => zones.push(NgZone.isInAngularZone())));
    await whenConnected(service);
    zone.run(() => service.command(Command.PING));
    expect(zone.hasPendingMacrotasks, 'a machine timer runs in the Angular zone').to.equal(false);
    expect(zone.isStable).to.equal(true);
    expect(zones).to.deep.equal([true, true]);
  });

  it('would hold the zone if the machine were created inside it (the check above can fail)', async () => {
    const machine = zone.run(() => new Machine('ws://quotes.test/', { WebSocket: server.WebSocket, pingInterval: 60_000, heartbeat: 'ping' }));
    try {
      await firstValueFrom(machine.state$.pipe(filter((s) => s.state === State.CONNECTED)));
      expect(zone.hasPendingMacrotasks).to.equal(true);
    } finally {
      machine.command.next(Command.QUIT);
    }
  });
});
