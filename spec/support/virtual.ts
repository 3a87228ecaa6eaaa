import { expect } from 'chai';
import { map, mergeMap, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { Machine, State, type MachineOptions, type Message, type Sendable, type Status } from '../../lib/index.js';
import { FakeServer, type FakeConnection, type FakeFrame } from '../../lib/testing/index.js';

/** A status as one readable line: `WAITING 2 200`, `DISCONNECTED ConnectTimeoutError`, `CONNECTED ""`. */
export function label(s: Status): string {
  if (s.state === State.CONNECTED) return `CONNECTED "${s.protocol}"`;
  if (s.state === State.DISCONNECTED) return s.error ? `DISCONNECTED ${s.error.name}` : 'DISCONNECTED';
  return [s.state, s.attempt, s.delay].filter((x) => x !== undefined).join(' ');
}

/** A frame the fake server received, as text: `t:hello` or `b:1,2,3`. */
export function frameText(frame: FakeFrame): string {
  return frame.type === 'text' ? `t:${frame.data}` : `b:${[...frame.data].join(',')}`;
}

/** Every frame the server receives, on any connection, with the connection it came on. */
export function framesOf$(server: FakeServer): Observable<{ connection: FakeConnection; frame: FakeFrame }> {
  return server.connection$.pipe(mergeMap((connection) => connection.received$.pipe(map((frame) => ({ connection, frame })))));
}

/** Every frame a connection received so far, as text. */
export const framesOf = (c: FakeConnection): string[] => c.received.map(frameText);

export interface VirtualWorld<In, Out> {
  readonly machine: Machine<In, Out>;
  readonly server: FakeServer;
  readonly scheduler: TestScheduler;
  /** `[time, label]` of every status so far. */
  readonly statuses: [number, string][];
  /** Runs `fn` at virtual time `ms`. */
  readonly at: (ms: number, fn: () => void) => void;
}

/**
 * Runs `body` in virtual time with a fake server (latency 0) and a machine on it; QUITs at `until`.
 * Everything happens on the TestScheduler, so times are exact and nothing real is left behind.
 */
export function virtual<In = Message, Out = Sendable>(
  options: MachineOptions<In, Out>,
  body: (world: VirtualWorld<In, Out>) => void,
  until = 10_000,
): VirtualWorld<In, Out> {
  const scheduler = new TestScheduler((a, b) => {
    expect(a).to.deep.equal(b);
  });
  let world: VirtualWorld<In, Out> | undefined;
  scheduler.run(() => {
    const server = new FakeServer({ scheduler });
    const machine = new Machine<In, Out>('ws://test/', { WebSocket: server.WebSocket, scheduler, retryDelay: 100, ...options });
    const statuses: [number, string][] = [];
    machine.state$.subscribe((s) => statuses.push([scheduler.now(), label(s)]));
    const at = (ms: number, fn: () => void): void => void scheduler.schedule(fn, ms);
    world = { machine, server, scheduler, statuses, at };
    body(world);
    at(until, () => machine.command.next('QUIT'));
  });
  return world as VirtualWorld<In, Out>;
}
