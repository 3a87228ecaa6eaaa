import { expect } from 'chai';
import { Observable, asyncScheduler } from 'rxjs';
import { backoff } from '../lib/backoff.js';
import { resolveOptions, resolveUrl } from '../lib/config.js';
import WebSocket from 'ws';
import type { Platform } from '../lib/platform.js';
import type { WebSocketConstructor } from '../lib/transport.js';
import { normalizeUrl } from '../lib/url.js';

/** Two WebSocket constructors this spec never calls: only which one is chosen matters. */
const PlatformSocket = WebSocket as unknown as WebSocketConstructor;
const OtherSocket = class extends WebSocket {} as unknown as WebSocketConstructor;

const node: Platform = {
  WebSocket: PlatformSocket,
  native: true,
  node: true,
  online$: undefined,
  open: () => {
    throw new Error('not opened here');
  },
};
const browser: Platform = {
  WebSocket: PlatformSocket,
  native: false,
  node: false,
  online$: undefined,
  open: () => {
    throw new Error('not opened here');
  },
};

describe('options: validated at construction', function () {
  this.timeout(2000);

  // [what, options, error class, message that names the option]
  const bad: [string, object, ErrorConstructor, RegExp][] = [
    ['format', { format: 'json' }, TypeError, /^format must be 'binary' or 'text'/],
    ['connectTimeout 0', { connectTimeout: 0 }, RangeError, /^connectTimeout must be/],
    ['connectTimeout NaN', { connectTimeout: Number.NaN }, TypeError, /^connectTimeout must be a number/],
    ['connectTimeout string', { connectTimeout: '5' }, TypeError, /^connectTimeout must be a number/],
    ['retryDelay negative', { retryDelay: -1 }, RangeError, /^retryDelay must be/],
    ['retryDelay object', { retryDelay: {} }, TypeError, /^retryDelay must be a number/],
    ['minUptime Infinity', { minUptime: Infinity }, RangeError, /^minUptime/],
    ['pingInterval negative', { pingInterval: -5 }, RangeError, /^pingInterval/],
    ['pongTimeout 0', { pongTimeout: 0 }, RangeError, /^pongTimeout/],
    ['maxQueue fraction', { maxQueue: 1.5 }, RangeError, /^maxQueue must be an integer/],
    ['maxAttempts 0', { maxAttempts: 0 }, RangeError, /^maxAttempts/],
    ['overflow', { overflow: 'drop-all' }, TypeError, /^overflow must be 'drop-oldest' or 'drop-newest'/],
    ['protocols with a space', { protocols: ['chat v1'] }, SyntaxError, /^protocols: "chat v1" is not a valid sub-protocol/],
    ['protocols twice', { protocols: ['a', 'a'] }, SyntaxError, /^protocols: "a" is listed twice/],
    ['protocols number', { protocols: 3 }, TypeError, /^protocols must be/],
    ['heartbeat number', { heartbeat: 42 }, TypeError, /^heartbeat must be a string or bytes/],
    ['WebSocket not a function', { WebSocket: 'ws' }, TypeError, /^WebSocket must be a function/],
    ['scheduler', { scheduler: {} }, TypeError, /^scheduler must be an RxJS SchedulerLike/],
    ['shouldReconnect', { shouldReconnect: true }, TypeError, /^shouldReconnect must be a function/],
    ['handshake', { handshake: 'auth' }, TypeError, /^handshake must be a function/],
    ['online$', { online$: true }, TypeError, /^online\$ must be an Observable/],
    ['headers value', { headers: { authorization: 7 } }, TypeError, /^headers\["authorization"\] must be a string/],
    ['headers array', { headers: ['a'] }, TypeError, /^headers must be an object/],
    ['tls', { tls: 'yes' }, TypeError, /^tls must be an object/],
    ['followRedirects', { followRedirects: 'yes' }, TypeError, /^followRedirects must be a boolean/],
    ['maxMessageSize 0', { maxMessageSize: 0 }, RangeError, /^maxMessageSize/],
  ];
  for (const [what, options, kind, message] of bad) {
    it(`rejects ${what} with a ${kind.name} naming it`, () => {
      expect(() => resolveOptions(options, node)).to.throw(kind, message);
    });
  }

  it('rejects options that are not an object', () => {
    expect(() => resolveOptions(5, node)).to.throw(TypeError, /^options must be an object/);
    expect(() => resolveOptions(null, node)).to.throw(TypeError, /^options must be an object/);
  });

  it('in a browser, headers in either form and tls throw a TypeError naming them', () => {
    expect(() => resolveOptions({ headers: { a: 'b' } }, browser)).to.throw(TypeError, /^headers cannot be sent by a browser/);
    expect(() => resolveOptions({ headers: () => ({}) }, browser)).to.throw(TypeError, /^headers/);
    expect(() => resolveOptions({ tls: {} }, browser)).to.throw(TypeError, /^tls cannot be set/);
  });

  it('a header value is never quoted in the error (it may be a credential)', () => {
    expect(() => resolveOptions({ headers: { authorization: { secret: 's3cr3t' } } }, node))
      .to.throw(TypeError)
      .that.satisfies((e: Error) => !e.message.includes('s3cr3t'));
  });

  it('fills in the defaults of API.md', () => {
    const c = resolveOptions(undefined, node);
    expect(c).to.include({
      format: 'binary',
      connectTimeout: 5000,
      minUptime: 5000,
      pingInterval: 30_000,
      pongTimeout: 10_000,
      maxQueue: 1000,
      maxAttempts: Infinity,
      overflow: 'drop-oldest',
      scheduler: asyncScheduler,
      native: true,
      followRedirects: false,
    });
    expect(c.retryDelay).to.equal(backoff);
    expect(c.protocols).to.equal(undefined);
  });

  it('accepts Infinity where it means "no limit", and a fixed retryDelay', () => {
    const c = resolveOptions({ maxQueue: Infinity, maxAttempts: Infinity, retryDelay: 250, protocols: 'v1' }, node);
    expect(c.maxQueue).to.equal(Infinity);
    expect(c.retryDelay).to.equal(250);
    expect(c.protocols).to.deep.equal(['v1']);
  });

  it('a given WebSocket constructor is driven through the standard API, even on Node', () => {
    const Ws = OtherSocket;
    expect(resolveOptions({ WebSocket: Ws }, node)).to.include({ WebSocket: Ws, native: false });
  });

  it('online$: only a given one is in the config; the platform’s default is made by each machine (see engine.spec)', () => {
    const online$ = new Observable<boolean>();
    expect(resolveOptions({ online$ }, browser).online$).to.equal(online$);
    expect(resolveOptions({}, { ...browser, online$: () => new Observable<boolean>() }).online$).to.equal(undefined);
    expect(resolveOptions({}, node).online$).to.equal(undefined);
  });
});

describe('options: one config for machines made from the same options', function () {
  this.timeout(2000);

  it('the same options object, or none, gives the same config', () => {
    const options = { retryDelay: 0, minUptime: 50, protocols: 'chat' };
    const first = resolveOptions(options, node);
    expect(resolveOptions(options, node)).to.equal(first);
    expect(resolveOptions(undefined, node)).to.equal(resolveOptions(undefined, node));
    // Equal settings from another object are not looked for: the key is the object.
    expect(resolveOptions({ ...options }, node)).to.not.equal(first);
  });

  it('an options object changed in place since is validated again and gets a config of its own', () => {
    const options: Record<string, unknown> = { pingInterval: 1000 };
    const first = resolveOptions(options, node);
    options.pingInterval = 2000;
    const second = resolveOptions(options, node);
    expect(second).to.not.equal(first);
    expect([first.pingInterval, second.pingInterval]).to.deep.equal([1000, 2000]);
    options.pingInterval = -1;
    expect(() => resolveOptions(options, node)).to.throw(RangeError, /^pingInterval must be/);
    options.pingInterval = 2000;
    expect(resolveOptions(options, node)).to.equal(second);
    options.protocols = ['a', 'b'];
    const third = resolveOptions(options, node);
    expect(third.protocols).to.deep.equal(['a', 'b']);
    (options.protocols as string[]).push('c');
    expect(resolveOptions(options, node).protocols).to.deep.equal(['a', 'b', 'c']);
  });

  it('an option added or taken away since gets a config of its own; one set to its default does not', () => {
    const options: Record<string, unknown> = { pingInterval: 1000 };
    const first = resolveOptions(options, node);
    options.minUptime = 5000; // the default: the config keeps nothing of its own for it
    expect(resolveOptions(options, node)).to.equal(first);
    options.minUptime = 10;
    const second = resolveOptions(options, node);
    expect(second).to.not.equal(first);
    expect(second.minUptime).to.equal(10);
    delete options.minUptime;
    const third = resolveOptions(options, node);
    expect(third).to.not.equal(second);
    expect([third.pingInterval, third.minUptime]).to.deep.equal([1000, 5000]);
  });

  it('the same options on another platform (another WebSocket) get a config of their own', () => {
    const options = { minUptime: 10 };
    const onNode = resolveOptions(options, node);
    const elsewhere = resolveOptions(options, { ...node, WebSocket: OtherSocket });
    expect(elsewhere).to.not.equal(onNode);
    expect(elsewhere.WebSocket).to.equal(OtherSocket);
  });
});

describe('options: the URL', function () {
  this.timeout(2000);

  it('keeps a ws: or wss: URL as given, and turns http(s) into ws(s)', () => {
    expect(normalizeUrl('ws://127.0.0.1:8080')).to.equal('ws://127.0.0.1:8080');
    expect(normalizeUrl('wss://example.test/feed?x=1')).to.equal('wss://example.test/feed?x=1');
    expect(normalizeUrl('http://127.0.0.1:8080/a')).to.equal('ws://127.0.0.1:8080/a');
    expect(normalizeUrl('https://example.test/')).to.equal('wss://example.test/');
    expect(normalizeUrl(new URL('ws://example.test/x'))).to.equal('ws://example.test/x');
    expect(normalizeUrl('WSS://Example.test/a')).to.equal('WSS://Example.test/a');
  });

  it('a ws: URL that looks right but does not parse is still refused (the quick check parses it too)', () => {
    expect(() => normalizeUrl('ws://exa mple.test/')).to.throw(SyntaxError, /^url "ws:\/\/exa mple.test\/" is not a valid URL/);
    expect(() => normalizeUrl('ws://example.test:99999/')).to.throw(SyntaxError, /is not a valid URL/);
  });

  it('rejects an unparseable URL, another scheme or a fragment, naming the URL (redacted)', () => {
    expect(() => normalizeUrl('not a url')).to.throw(SyntaxError, /^url "not a url" is not a valid URL/);
    expect(() => normalizeUrl('ftp://example.test/')).to.throw(SyntaxError, /scheme "ftp:"/);
    expect(() => normalizeUrl('ws://example.test/#top')).to.throw(SyntaxError, /fragment/);
    expect(() => normalizeUrl('ftp://bob:hunter2@example.test/?token=abc'))
      .to.throw(SyntaxError)
      .that.satisfies((e: Error) => !e.message.includes('hunter2') && !e.message.includes('abc'));
    expect(() => normalizeUrl(42)).to.throw(TypeError, /^url must be a string, a URL or a function/);
  });

  it('the default backoff is random in [d/2, d], d = min(30 s, 1 s × 2^(attempt−1))', () => {
    for (const [attempt, d] of [
      [1, 1000],
      [2, 2000],
      [3, 4000],
      [6, 30_000],
      [20, 30_000],
    ] as const) {
      for (let i = 0; i < 50; i++) expect(backoff(attempt)).to.be.within(d / 2, d);
    }
  });
});

describe('options: unknown keys and the words a user reads', function () {
  this.timeout(2000);

  it('an unknown option key throws a TypeError naming it and the nearest known name', () => {
    expect(() => resolveOptions({ pingIntervall: 5 }, node)).to.throw(
      TypeError,
      /unknown option "pingIntervall"; did you mean "pingInterval"\?/,
    );
    expect(() => resolveOptions({ maxqueue: 5 }, node)).to.throw(TypeError, /did you mean "maxQueue"/);
    expect(() => resolveOptions({ colour: 'red' }, node))
      .to.throw(TypeError)
      .that.satisfies((e: Error) => e.message.endsWith('unknown option "colour"'));
  });

  it('only its own keys are options: inherited ones are not checked, as Object.keys would not list them', () => {
    const options = Object.create({ colour: 'red' }) as Record<string, unknown>;
    options.pingInterval = 5;
    expect(resolveOptions(options, node).pingInterval).to.equal(5);
    expect(() => resolveOptions(Object.assign(Object.create(null) as object, { colour: 'red' }), node)).to.throw(
      TypeError,
      /unknown option "colour"/,
    );
  });

  it('a missing URL says what it got', () => {
    expect(() => resolveUrl(undefined)).to.throw(TypeError, /^url must be a string, a URL or a function returning one, got undefined$/);
  });

  it('retryDelay of the wrong type says a function is allowed too', () => {
    expect(() => resolveOptions({ retryDelay: '5' }, node)).to.throw(
      TypeError,
      /retryDelay must be a number of ms or a function \(attempt\) => ms, got the string "5"/,
    );
  });

  it('agent and compress: checked, and agent is Node only', () => {
    expect(() => resolveOptions({ agent: 'proxy' }, node)).to.throw(TypeError, /^agent must be an http.Agent/);
    expect(() => resolveOptions({ compress: 'no' }, node)).to.throw(TypeError, /^compress must be a boolean/);
    expect(() => resolveOptions({ agent: {} }, browser)).to.throw(TypeError, /^agent cannot be set for a browser WebSocket/);
    expect(resolveOptions({}, node)).to.include({ compress: true, agent: undefined });
    expect(resolveOptions({ compress: false }, node).compress).to.equal(false);
  });

  it('codec: an object with encode and decode; its format is the default frame type', () => {
    const codec = { encode: String, decode: String, format: 'text' as const };
    expect(resolveOptions({ codec }, node).format).to.equal('text');
    expect(resolveOptions({ codec, format: 'binary' }, node).format).to.equal('binary');
    expect(() => resolveOptions({ codec: { encode: String } }, node)).to.throw(
      TypeError,
      /^codec must be an object with encode and decode/,
    );
    expect(() => resolveOptions({ codec: { ...codec, format: 'json' } }, node)).to.throw(TypeError, /^codec.format must be/);
  });
});
