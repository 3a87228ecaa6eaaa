// Property-based tests of the pure reducer (lib/reducer.ts) with fast-check: random policies and
// random event sequences (ids near the current attempt's, so stale and future ones too, commands,
// online toggles), checked against the state graph and the counting rules of API.md.
//
// Two checks run side by side on every step:
// - the graph: which status may follow which (DISCONNECTED is followed by CONNECTING, WAITING or
//   nothing; WAITING with a delay only right after DISCONNECTED(error); …), nothing after the
//   final DISCONNECTED, no effect after `stop`;
// - a model written from API.md alone: the exact statuses each event must give (attempt counting
//   included) and the effects that must come with them.
import { expect } from 'chai';
import fc from 'fast-check';
import { ConnectTimeoutError, MachineError, PongTimeoutError, ReconnectError } from '../lib/errors.js';
import { initialContext, transition, type Context, type Effect, type Event, type Policy, type LoopCommand } from '../lib/reducer.js';
import { Command, State, type Status } from '../lib/types.js';

/** An event before its id is fixed: `offset` is added to the current attempt's id when it is fed. */
type Spec =
  | { readonly kind: 'START' }
  | { readonly kind: 'ONLINE'; readonly online: boolean }
  | { readonly kind: 'COMMAND'; readonly command: LoopCommand }
  | { readonly kind: 'OPENED'; readonly offset: number; readonly protocol: string }
  | { readonly kind: 'FAILED'; readonly offset: number; readonly fatal: boolean }
  | { readonly kind: 'READY' | 'CONNECT_TIMEOUT' | 'RETRY' | 'STABLE' | 'PING_DUE' | 'PONG_TIMEOUT'; readonly offset: number };

interface PolicySpec {
  readonly connectTimeout: number;
  readonly minUptime: number;
  readonly keepAlive: boolean;
  readonly handshake: boolean;
  readonly maxAttempts: number;
  readonly delayBase: number;
}

// Mostly the current attempt; sometimes a stale one or one that does not exist yet.
const offset = fc.oneof(
  { weight: 6, arbitrary: fc.constant(0) },
  { weight: 1, arbitrary: fc.constant(-1) },
  { weight: 1, arbitrary: fc.constant(1) },
);
const rarely = fc.oneof({ weight: 19, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) });
const withOffset = (kind: 'READY' | 'CONNECT_TIMEOUT' | 'RETRY' | 'STABLE' | 'PING_DUE' | 'PONG_TIMEOUT'): fc.Arbitrary<Spec> =>
  offset.map((o) => ({ kind, offset: o }));

const specArb: fc.Arbitrary<Spec> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('OPENED' as const), offset, protocol: fc.constantFrom('', 'v1', 'chat') }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('FAILED' as const), offset, fatal: rarely }) },
  { weight: 3, arbitrary: withOffset('READY') },
  { weight: 2, arbitrary: withOffset('CONNECT_TIMEOUT') },
  { weight: 5, arbitrary: withOffset('RETRY') },
  { weight: 3, arbitrary: withOffset('STABLE') },
  { weight: 2, arbitrary: withOffset('PING_DUE') },
  { weight: 2, arbitrary: withOffset('PONG_TIMEOUT') },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('ONLINE' as const), online: fc.boolean() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('COMMAND' as const),
      // QUIT is rare so that most runs get far before they stop.
      command: fc.oneof(
        { weight: 1, arbitrary: fc.constant(Command.QUIT) },
        { weight: 8, arbitrary: fc.constantFrom(Command.RECONNECT, Command.PING) },
      ),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'START' as const }) },
);

const policyArb: fc.Arbitrary<PolicySpec> = fc.record({
  connectTimeout: fc.integer({ min: 1, max: 10_000 }),
  minUptime: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 10_000 })),
  keepAlive: fc.boolean(),
  handshake: fc.boolean(),
  maxAttempts: fc.oneof(fc.constant(Infinity), fc.integer({ min: 1, max: 6 })),
  delayBase: fc.integer({ min: 0, max: 1000 }),
});

// A run: whether online$ said offline before START, then the events.
const runArb = fc.record({
  startOffline: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  events: fc.array(specArb, { minLength: 1, maxLength: 150, size: 'max' }),
});

const FATAL = 'fatal: do not reconnect';

function makePolicy(p: PolicySpec): Policy {
  return {
    connectTimeout: p.connectTimeout,
    minUptime: p.minUptime,
    keepAlive: p.keepAlive,
    handshake: p.handshake,
    maxAttempts: p.maxAttempts,
    retryDelay: (attempt) => p.delayBase + 100 * attempt,
    shouldReconnect: (error) => error.message !== FATAL,
  };
}

function toEvent(spec: Spec, ctx: Context): Event {
  switch (spec.kind) {
    case 'START':
      return { type: 'START' };
    case 'ONLINE':
      return { type: 'ONLINE', online: spec.online };
    case 'COMMAND':
      return { type: 'COMMAND', command: spec.command };
    case 'OPENED':
      return { type: 'OPENED', id: ctx.id + spec.offset, protocol: spec.protocol };
    case 'FAILED':
      return { type: 'FAILED', id: ctx.id + spec.offset, error: new MachineError(spec.fatal ? FATAL : 'connection lost') };
    default:
      return { type: spec.kind, id: ctx.id + spec.offset };
  }
}

// ---------------------------------------------------------------------------------------------
// The model: what API.md says each event must do, tracked on its own state.

type Phase = 'IDLE' | 'CONNECTING' | 'CONNECTED' | 'WAITING' | 'STOPPED';

interface Model {
  phase: Phase;
  id: number;
  attempt: number;
  stable: boolean;
  online: boolean;
  protocol: string;
  /** Whether a retry timer is pending (WAITING with a delay). */
  delayed: boolean;
}

/** A status as the model expects it; `error` is a predicate (identity, or class and message). */
interface Expected {
  readonly state: State;
  readonly attempt?: number;
  readonly delay?: number;
  readonly protocol?: string;
  readonly error?: (e: unknown) => boolean;
}

interface Outcome {
  statuses: Expected[];
  /** Effect types that must be present. */
  effects: Effect['type'][];
  stop: boolean;
}

const sameError = (error: Error) => (e: unknown) => e === error;
const errorOf = (kind: new (...args: never[]) => Error) => (e: unknown) => e instanceof kind;

function modelStep(m: Model, event: Event, p: Policy): Outcome {
  const out: Outcome = { statuses: [], effects: [], stop: false };
  if (m.phase === 'STOPPED') return out;

  const attemptNow = (): void => {
    m.id++;
    m.phase = 'CONNECTING';
    m.stable = false;
    m.protocol = '';
    m.delayed = false;
    out.statuses.push({ state: State.CONNECTING, attempt: m.attempt });
    out.effects.push('timer', 'connect');
  };
  const rest = (): void => {
    m.phase = 'WAITING';
    m.delayed = false;
    out.statuses.push({ state: State.WAITING, attempt: m.attempt });
  };
  const stop = (): void => {
    m.phase = 'STOPPED';
    out.stop = true;
    out.effects.push('stop');
  };
  // After DISCONNECTED(error): give up, rest offline, try at once, or wait retryDelay(attempt).
  const recover = (error: Error, immediate: boolean): void => {
    if (m.attempt >= p.maxAttempts || !p.shouldReconnect(error)) {
      stop();
      return;
    }
    if (!m.online) {
      rest();
      return;
    }
    if (immediate) {
      attemptNow();
      return;
    }
    const delay = p.retryDelay(m.attempt);
    out.statuses.push({ state: State.WAITING, attempt: m.attempt, delay });
    // A delay of 0 costs no timer tick: CONNECTING follows WAITING at once.
    if (delay === 0) {
      attemptNow();
      return;
    }
    m.phase = 'WAITING';
    m.delayed = true;
    out.effects.push('timer');
  };
  const connected = (): void => {
    m.phase = 'CONNECTED';
    m.stable = p.minUptime === 0;
    if (m.stable) m.attempt = 0;
    out.statuses.push({ state: State.CONNECTED, protocol: m.protocol });
    out.effects.push('flush');
    if (!m.stable) out.effects.push('timer');
    if (p.keepAlive) out.effects.push('keepalive');
  };
  // A failed attempt counts; a drop counts unless the connection had been up minUptime.
  const failed = (error: Error, errorCheck: (e: unknown) => boolean): void => {
    m.attempt++;
    out.statuses.push({ state: State.DISCONNECTED, error: errorCheck });
    out.effects.push('close');
    recover(error, false);
  };
  const dropped = (error: Error, errorCheck: (e: unknown) => boolean): void => {
    const immediate = m.attempt === 0;
    m.attempt = m.stable ? 0 : m.attempt + 1;
    out.statuses.push({ state: State.DISCONNECTED, error: errorCheck });
    out.effects.push('close');
    recover(error, immediate);
  };

  switch (event.type) {
    case 'START':
      if (m.phase === 'IDLE') {
        if (m.online) attemptNow();
        else rest();
      }
      return out;
    case 'ONLINE':
      if (m.phase !== 'WAITING' || event.online === m.online) {
        m.online = event.online;
        return out;
      }
      // In WAITING a change to `true` cuts the wait short; a repeated `true` changes nothing;
      // going offline turns the wait into a rest without a delay.
      if (event.online) {
        m.online = true;
        attemptNow();
      } else if (m.online) {
        m.online = false;
        rest();
      }
      return out;
    case 'COMMAND':
      switch (event.command) {
        case Command.QUIT:
          if (m.phase === 'CONNECTING' || m.phase === 'CONNECTED') out.effects.push('close');
          out.statuses.push({ state: State.DISCONNECTED, error: (e) => e === undefined });
          stop();
          return out;
        case Command.PING:
          if (m.phase === 'CONNECTED') out.effects.push('ping');
          return out;
        case Command.RECONNECT:
          // While offline it does nothing: offline wins.
          if (!m.online) return out;
          if (m.phase === 'WAITING') attemptNow();
          else if (m.phase === 'CONNECTED') {
            // Asked for: not a failure, so the count is not touched, and it always comes back.
            out.statuses.push({ state: State.DISCONNECTED, error: errorOf(ReconnectError) });
            out.effects.push('close');
            attemptNow();
          }
          return out;
        default:
          return out;
      }
  }
  if (event.id !== m.id) return out; // stale, or not made yet
  switch (m.phase) {
    case 'CONNECTING':
      if (event.type === 'OPENED') {
        m.protocol = event.protocol;
        if (p.handshake) out.effects.push('handshake');
        else connected();
      } else if (event.type === 'READY') connected();
      else if (event.type === 'FAILED') failed(event.error, sameError(event.error));
      else if (event.type === 'CONNECT_TIMEOUT')
        failed(new ConnectTimeoutError(p.connectTimeout), (e) => e instanceof ConnectTimeoutError && e.timeout === p.connectTimeout);
      break;
    case 'CONNECTED':
      if (event.type === 'FAILED') dropped(event.error, sameError(event.error));
      else if (event.type === 'PONG_TIMEOUT') dropped(new PongTimeoutError('pong'), errorOf(PongTimeoutError));
      else if (event.type === 'PING_DUE') out.effects.push('ping');
      else if (event.type === 'STABLE') {
        m.stable = true;
        m.attempt = 0;
      }
      break;
    case 'WAITING':
      if (event.type === 'RETRY' && m.online) attemptNow();
      break;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The graph: which emission may follow which, whatever the event.

function checkGraph(previous: Status | undefined, next: Status, p: Policy, where: string): void {
  const allowed: Record<string, State[]> = {
    START: [State.CONNECTING, State.WAITING],
    [State.CONNECTING]: [State.CONNECTED, State.DISCONNECTED],
    [State.CONNECTED]: [State.DISCONNECTED],
    [State.DISCONNECTED]: [State.CONNECTING, State.WAITING],
    [State.WAITING]: [State.CONNECTING, State.WAITING, State.DISCONNECTED],
  };
  const from = previous?.state ?? 'START';
  expect(allowed[from], `${where}: ${from} → ${next.state}`).to.include(next.state);
  if (previous === undefined) expect(next.attempt, `${where}: the first status has attempt 0`).to.equal(0);
  if (previous?.state === State.DISCONNECTED) {
    expect(previous.error, `${where}: only a DISCONNECTED with an error is followed by anything`).to.be.instanceOf(Error);
  }
  switch (next.state) {
    case State.CONNECTING:
      expect(next.attempt, `${where}: CONNECTING carries attempt`).to.be.a('number');
      expect(next).to.have.all.keys('state', 'attempt');
      break;
    case State.CONNECTED:
      expect(next.protocol, `${where}: CONNECTED carries protocol`).to.be.a('string');
      expect(next).to.have.all.keys('state', 'protocol');
      break;
    case State.WAITING:
      expect(next.attempt, `${where}: WAITING carries attempt`).to.be.a('number');
      if (next.delay !== undefined) {
        // A wait with a delay comes only right after a failure, and lasts retryDelay(attempt).
        expect(previous?.state, `${where}: WAITING with a delay follows DISCONNECTED`).to.equal(State.DISCONNECTED);
        expect(previous?.error, `${where}: … with an error`).to.be.instanceOf(Error);
        expect(next.delay).to.equal(p.retryDelay(next.attempt));
        expect(next.attempt, `${where}: a wait follows at least one failure`).to.be.at.least(1);
      }
      break;
    case State.DISCONNECTED:
      if (next.error === undefined) expect(Object.keys(next), `${where}: the final DISCONNECTED`).to.deep.equal(['state']);
      break;
  }
}

// ---------------------------------------------------------------------------------------------

interface RunStats {
  runs: number;
  steps: number;
  statuses: number;
  stops: number;
  maxAttempt: number;
  transitions: Set<string>;
}

function runOne(policySpec: PolicySpec, startOffline: boolean, specs: readonly Spec[], stats: RunStats): void {
  const p = makePolicy(policySpec);
  let ctx = initialContext();
  const model: Model = { phase: 'IDLE', id: 0, attempt: 0, stable: false, online: true, protocol: '', delayed: false };
  const events: Spec[] = [...(startOffline ? [{ kind: 'ONLINE', online: false } as const] : []), { kind: 'START' }, ...specs];
  let previous: Status | undefined;
  let stopped = false;
  stats.runs++;
  events.forEach((spec, step) => {
    const event = toEvent(spec, ctx);
    const where = `step ${step} (${JSON.stringify(event)})`;
    const before = ctx;
    const [next, effects] = transition(ctx, event, p);
    stats.steps++;
    if (stopped) {
      // After stop nothing happens at all: no status, no effect, no change.
      expect(effects, `${where}: effects after stop`).to.deep.equal([]);
      expect(next, `${where}: context after stop`).to.equal(before);
      return;
    }
    const expected = modelStep(model, event, p);
    const statuses = effects.filter((e): e is Extract<Effect, { type: 'status' }> => e.type === 'status').map((e) => e.status);

    // The graph.
    for (const status of statuses) {
      checkGraph(previous, status, p, where);
      stats.transitions.add(
        `${previous?.state ?? 'START'}${previous?.error ? '(error)' : ''}${previous?.delay !== undefined ? '(delay)' : ''} → ${status.state}`,
      );
      previous = status;
      stats.statuses++;
      stats.maxAttempt = Math.max(stats.maxAttempt, status.attempt ?? 0);
    }

    // The model: exactly these statuses, in this order.
    expect(statuses.length, `${where}: number of statuses (got ${JSON.stringify(statuses)})`).to.equal(expected.statuses.length);
    expected.statuses.forEach((want, i) => {
      const got = statuses[i] as Status;
      expect(got.state, `${where}: status ${i}`).to.equal(want.state);
      expect(got.attempt, `${where}: attempt of ${want.state}`).to.equal(want.attempt);
      expect(got.delay, `${where}: delay of ${want.state}`).to.equal(want.delay);
      expect(got.protocol, `${where}: protocol of ${want.state}`).to.equal(want.protocol);
      if (want.error) expect(want.error(got.error), `${where}: error of ${want.state}: ${String(got.error)}`).to.equal(true);
    });
    const types = effects.map((e) => e.type);
    for (const type of expected.effects) expect(types, `${where}: effects`).to.include(type);

    // Effects that go with the statuses.
    const stopAt = types.indexOf('stop');
    expect(stopAt === -1 || stopAt === types.length - 1, `${where}: stop is the last effect`).to.equal(true);
    expect(types.filter((t) => t === 'stop').length).to.be.at.most(1);
    for (const effect of effects) {
      if (effect.type === 'connect') {
        expect(effect.id, `${where}: a new attempt gets the next id`).to.equal(before.id + 1);
        expect(
          statuses.some((s) => s.state === State.CONNECTING),
          `${where}: connect only with CONNECTING`,
        ).to.equal(true);
        expect(effects, `${where}: its connect timer`).to.deep.include({
          type: 'timer',
          name: 'connect',
          id: effect.id,
          ms: p.connectTimeout,
        });
      }
      if (effect.type === 'close') expect(effect.id, `${where}: close the current attempt`).to.equal(before.id);
      if (effect.type === 'flush')
        expect(
          statuses.map((s) => s.state),
          `${where}: flush only on CONNECTED`,
        ).to.include(State.CONNECTED);
      if (effect.type === 'handshake') expect(p.handshake, `${where}: handshake only when there is one`).to.equal(true);
      if (effect.type === 'keepalive') expect(p.keepAlive, `${where}: keep-alive only when on`).to.equal(true);
      if (effect.type === 'ping') expect(before.state, `${where}: ping only when CONNECTED`).to.equal(State.CONNECTED);
      if (effect.type === 'timer' && effect.name === 'uptime') expect(p.minUptime, `${where}: uptime timer`).to.be.greaterThan(0);
      if (effect.type === 'timer' && effect.name === 'retry') {
        const waiting = statuses.find((s) => s.state === State.WAITING);
        expect(waiting?.delay, `${where}: a retry timer goes with WAITING(delay)`).to.equal(effect.ms);
      }
    }
    if (types.includes('status') && statuses.some((s) => s.state === State.CONNECTED)) {
      // The queue is flushed before CONNECTED is announced, so a subscriber's sends come after it.
      expect(types.indexOf('flush'), `${where}: flush before CONNECTED`).to.be.below(types.indexOf('status'));
    }

    // The reducer's own bookkeeping agrees with the model.
    expect(next.attempt, `${where}: attempt`).to.equal(model.attempt);
    expect(next.id, `${where}: id`).to.equal(model.id);
    expect(next.stopped, `${where}: stopped`).to.equal(model.phase === 'STOPPED');
    if (expected.stop) {
      stopped = true;
      stats.stops++;
      const last = statuses[statuses.length - 1] ?? previous;
      expect(last?.state, `${where}: the final status`).to.equal(State.DISCONNECTED);
    }
    ctx = next;
  });
}

describe('reducer properties (fast-check)', function () {
  this.timeout(30_000);
  const seed = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED);
  const stats: RunStats = { runs: 0, steps: 0, statuses: 0, stops: 0, maxAttempt: 0, transitions: new Set() };

  after(() => {
    if (process.env.WS_MACHINE_REPORT) {
      console.log(
        `      [properties] ${stats.runs} runs, ${stats.steps} events, ${stats.statuses} statuses, ${stats.stops} stops, highest attempt ${stats.maxAttempt}`,
      );
      console.log(`      [properties] transitions seen: ${[...stats.transitions].sort().join('; ')}`);
    }
  });

  it('random event sequences under random policies follow the state graph and the model of API.md', () => {
    fc.assert(
      fc.property(policyArb, runArb, (policy, run) => runOne(policy, run.startOffline, run.events, stats)),
      { numRuns: 300, ...(seed === undefined ? {} : { seed }) },
    );
  });

  it('a server that accepts and drops every connection before minUptime gets growing waits, never a storm', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 2, max: 12 }), (minUptime, drops) => {
        const p = makePolicy({ connectTimeout: 1000, minUptime, keepAlive: true, handshake: false, maxAttempts: Infinity, delayBase: 0 });
        let [ctx] = transition(initialContext(), { type: 'START' }, p);
        const attempts: number[] = [];
        for (let i = 0; i < drops; i++) {
          [ctx] = transition(ctx, { type: 'OPENED', id: ctx.id, protocol: '' }, p);
          const [dropped, effects] = transition(ctx, { type: 'FAILED', id: ctx.id, error: new MachineError('dropped') }, p);
          const statuses = effects.flatMap((e) => (e.type === 'status' ? [e.status] : []));
          ctx = dropped;
          if (i === 0) {
            // The first drop of a first-try connection reconnects at once, already counting it.
            expect(statuses.map((s) => s.state)).to.deep.equal([State.DISCONNECTED, State.CONNECTING]);
            expect(statuses[1]?.attempt).to.equal(1);
            continue;
          }
          expect(statuses.map((s) => s.state)).to.deep.equal([State.DISCONNECTED, State.WAITING]);
          attempts.push(statuses[1]?.attempt ?? 0);
          [ctx] = transition(ctx, { type: 'RETRY', id: ctx.id }, p);
        }
        expect(attempts).to.deep.equal(attempts.map((_, i) => i + 2));
      }),
      { numRuns: 200, ...(seed === undefined ? {} : { seed }) },
    );
  });

  it('a stopped machine ignores every event and asks for nothing, forever', () => {
    fc.assert(
      fc.property(
        policyArb,
        fc.array(specArb, { maxLength: 40 }),
        fc.array(specArb, { minLength: 1, maxLength: 40 }),
        (policySpec, before, after) => {
          const p = makePolicy(policySpec);
          let ctx = initialContext();
          for (const spec of [{ kind: 'START' } as Spec, ...before, { kind: 'COMMAND', command: Command.QUIT } as Spec]) {
            [ctx] = transition(ctx, toEvent(spec, ctx), p);
          }
          expect(ctx.stopped).to.equal(true);
          for (const spec of after) {
            const event = toEvent(spec, ctx);
            const [next, effects] = transition(ctx, event, p);
            expect(effects).to.deep.equal([]);
            expect(next).to.equal(ctx);
          }
        },
      ),
      { numRuns: 300, ...(seed === undefined ? {} : { seed }) },
    );
  });
});
