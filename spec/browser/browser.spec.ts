// ws-machine in a real browser: Debian's Chromium, driven by playwright-core, runs the library's
// browser bundle against a local `ws` server. Every assertion is about what the page observed
// (through window.harness, see page.ts), cross-checked with what the server saw.
//
//   npm run test:browser        (prints a SKIP line and passes when Chromium is not installed)
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { build, type Metafile } from 'esbuild';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, WS_MARKERS } from '../support/chromium.js';
import { startDemoServer, type DemoServer } from '../../examples/browser/server.js';
import type { State } from '../../lib/index.browser.js';
import type { Outgoing, PlainOptions, SeenStatus } from './page.js';
import { HEARTBEAT, HEARTBEAT_ACK, startFixture, type Connection, type Fixture } from './server.js';

const OUT = fileURLToPath(new URL('./.out/', import.meta.url));
const HTML =
  '<!doctype html><meta charset="utf-8"><title>ws-machine harness</title><body><script type="module" src="/page.js"></script></body>';

/** Which state may follow which (API.md's sequences); anything else is a bug. */
const NEXT: Record<State, State[]> = {
  CONNECTING: ['CONNECTED', 'DISCONNECTED'],
  CONNECTED: ['DISCONNECTED'],
  DISCONNECTED: ['CONNECTING', 'WAITING'],
  WAITING: ['CONNECTING'],
};

function expectLegalSequence(statuses: SeenStatus[]): void {
  for (let i = 1; i < statuses.length; i++) {
    const [a, b] = [statuses[i - 1]!.state, statuses[i]!.state];
    expect(NEXT[a], `step ${i}: ${a} → ${b} in ${statuses.map((s) => s.state).join(' → ')}`).to.include(b);
  }
}

/** Polls a Node-side condition (what the server saw) until it holds. */
async function until(what: string, check: () => boolean, timeout = 3000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('ws-machine in Chromium', function () {
  this.timeout(20_000);
  let browser: Browser | undefined;
  let fixture: Fixture | undefined;
  let metafile: Metafile;
  let bundle: string;
  let context: BrowserContext;
  let page: Page;
  let pageErrors: string[];

  // Shorthands for the page's harness; every callback runs in the page.
  const start = (name: string, id: string, options: PlainOptions = {}): Promise<void> =>
    page.evaluate(([n, url, o]) => window.harness.start(n, url, o), [name, fixture!.wsUrl(id), options] as const);
  const send = (name: string, out: Outgoing): Promise<void> => page.evaluate(([n, o]) => window.harness.send(n, o), [name, out] as const);
  const command = (name: string, c: 'QUIT' | 'PING' | 'USE_TEXT' | 'USE_BINARY' | 'RECONNECT'): Promise<void> =>
    page.evaluate(([n, cmd]) => window.harness.command(n, cmd), [name, c] as const);
  const statuses = (name: string): Promise<SeenStatus[]> => page.evaluate((n) => window.harness.statuses(n), name);
  const connection = (id: string, nth = 0): Connection | undefined => fixture!.connections.filter((c) => c.id === id)[nth];

  /** Waits until the page's machine `name` is in `state` for the `count`th time. */
  async function reached(name: string, state: State, count = 1, timeout = 5000): Promise<void> {
    try {
      await page.waitForFunction(([n, s, c]) => window.harness.reached(n, s, c), [name, state, count] as const, { timeout, polling: 10 });
    } catch (e) {
      const seen = await statuses(name).catch(() => []);
      throw new Error(`${name} did not reach ${state} ×${count}; page saw: ${JSON.stringify(seen)}`, { cause: e });
    }
  }

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      console.log(`SKIP browser tests: ${CHROMIUM} not found (apt-get install chromium, or set CHROMIUM_PATH)`);
      this.skip();
    }
    const result = await build({
      entryPoints: [fileURLToPath(new URL('./page.ts', import.meta.url))],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    bundle = result.outputFiles[0]!.text;
    metafile = result.metafile;
    fixture = await startFixture({
      '/': { type: 'text/html; charset=utf-8', body: HTML },
      '/page.js': { type: 'text/javascript; charset=utf-8', body: bundle },
    });
    // launch() gives the browser a fresh temporary profile (user-data dir) and removes it on close.
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS] });
  });

  after(async () => {
    await browser?.close();
    await fixture?.close();
  });

  beforeEach(async () => {
    fixture!.answerHeartbeats = true;
    pageErrors = [];
    context = await browser!.newContext();
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${fixture!.origin}/`);
    await page.waitForFunction(() => document.body.dataset.ready === 'yes', undefined, { timeout: 5000 });
  });

  afterEach(async () => {
    await page.evaluate(() => window.harness.quitAll()).catch(() => undefined);
    await context.close();
    expect(pageErrors, 'uncaught errors in the page').to.deep.equal([]);
  });

  it('connects: CONNECTING → CONNECTED on the browser’s own WebSocket, offering a sub-protocol only when asked', async () => {
    expect(await page.evaluate(() => window.harness.nativeWebSocket())).to.equal(true);
    await start('plain', 'plain');
    await start('proto', 'proto', { protocols: ['v2.echo', 'v1.echo'] });
    await reached('plain', 'CONNECTED');
    await reached('proto', 'CONNECTED');

    const plain = await statuses('plain');
    expect(plain.map((s) => s.state)).to.deep.equal(['CONNECTING', 'CONNECTED']);
    expect(plain[0]).to.include({ attempt: 0 });
    expect(plain[1]).to.include({ protocol: '' });
    expect((await statuses('proto'))[1]).to.include({ state: 'CONNECTED', protocol: 'v2.echo' });

    // A page may give a URL relative to itself, or as http(s):, as it would to fetch().
    await page.evaluate(() => window.harness.start('relative', '/echo?id=relative'));
    await page.evaluate((url) => window.harness.start('http', url), fixture!.wsUrl('http').replace('ws:', 'http:'));
    await reached('relative', 'CONNECTED');
    await reached('http', 'CONNECTED');
    expect(await page.evaluate(() => window.harness.url('relative'))).to.equal(fixture!.wsUrl('relative'));
    expect(await page.evaluate(() => window.harness.url('http'))).to.equal(fixture!.wsUrl('http'));

    expect(connection('plain')!.offered, 'no sub-protocol (not even "undefined")').to.deep.equal([]);
    expect(connection('proto')!.offered).to.deep.equal(['v2.echo', 'v1.echo']);
    expect(connection('plain')!.userAgent).to.match(/Chrom/);
  });

  it('refuses what a browser cannot do: headers, in either form, throw a TypeError naming the option', async () => {
    for (const headers of [{ authorization: 'Bearer x' }, 'function'] as const) {
      const result = await page.evaluate(
        ([url, h]) => window.harness.construct(url, { headers: h === 'function' ? () => ({ authorization: 'Bearer y' }) : h }),
        [fixture!.wsUrl('headers'), headers] as const,
      );
      expect(result).to.have.property('name', 'TypeError');
      expect(result)
        .to.have.property('message')
        .that.matches(/headers/);
    }
    expect(fixture!.connections.filter((c) => c.id === 'headers')).to.deep.equal([]);
  });

  it('echoes text and binary: binary frames arrive as Uint8Array, text frames as string', async () => {
    await start('echo', 'echo');
    await reached('echo', 'CONNECTED');
    await send('echo', { text: 'hi' }); // binary by default
    await send('echo', { bytes: [0, 1, 255], as: 'Uint8Array' });
    await send('echo', { bytes: [7, 8], as: 'ArrayBuffer' });
    await send('echo', { bytes: [9], as: 'DataView' });
    await command('echo', 'USE_TEXT');
    await send('echo', { text: 'héllo ✓' });
    await page.waitForFunction(() => window.harness.messages('echo').length >= 5, undefined, { timeout: 3000 });

    const got = await page.evaluate(() => window.harness.messages('echo').map(({ kind, text, bytes }) => ({ kind, text, bytes })));
    expect(got).to.deep.equal([
      { kind: 'Uint8Array', text: undefined, bytes: [104, 105] },
      { kind: 'Uint8Array', text: undefined, bytes: [0, 1, 255] },
      { kind: 'Uint8Array', text: undefined, bytes: [7, 8] },
      { kind: 'Uint8Array', text: undefined, bytes: [9] },
      { kind: 'string', text: 'héllo ✓', bytes: undefined },
    ]);
    expect(connection('echo')!.frames.map((f) => f.binary)).to.deep.equal([true, true, true, true, false]);
  });

  it('reconnects when the server restarts on the same port, and flushes what was queued meanwhile', async () => {
    await start('r', 'restart', { retryDelay: 100 });
    await reached('r', 'CONNECTED');
    const port = fixture!.port;

    const restarted = fixture!.restart(600);
    await page.waitForFunction(() => window.harness.states('r').includes('DISCONNECTED'), undefined, { timeout: 3000 });
    await send('r', { text: 'queued while down' });
    await restarted;
    await reached('r', 'CONNECTED', 2);
    await page.waitForFunction(() => window.harness.messages('r').length >= 1, undefined, { timeout: 3000 });

    expect(fixture!.port).to.equal(port);
    const seen = await statuses('r');
    expectLegalSequence(seen);
    const drop = seen[2]!;
    expect(drop.state).to.equal('DISCONNECTED');
    expect(drop.error, 'the drop carries an error').to.be.a('string');
    expect(drop.code, 'the close code is readable on the error').to.equal(1012);
    const waits = seen.filter((s) => s.state === 'WAITING');
    expect(waits.length, 'refused attempts while the server was down').to.be.greaterThan(0);
    expect(waits.every((w) => w.delay === 100)).to.equal(true);
    // The drop came before minUptime, so it counts: the at-once retry is attempt 1, the waits follow.
    expect(seen[3]).to.include({ state: 'CONNECTING', attempt: 1 });
    expect(waits.map((w) => w.attempt)).to.deep.equal(waits.map((_, i) => i + 2));
    expect(seen.filter((s) => s.state === 'DISCONNECTED').every((s) => s.error)).to.equal(true);

    const messages = await page.evaluate(() => window.harness.messages('r'));
    expect(messages.map((m) => m.bytes)).to.deep.equal([Array.from(Buffer.from('queued while down'))]);
    expect(connection('restart', 0)!.closeCode).to.equal(1012);
    expect(connection('restart', 1)!.frames).to.deep.equal([{ text: 'queued while down', binary: true }]);
  });

  it('keeps the connection alive with the heartbeat message, and reports it dead within pingInterval + pongTimeout', async () => {
    const pingInterval = 300;
    const pongTimeout = 300;
    await start('k', 'keepalive', { pingInterval, pongTimeout, heartbeat: HEARTBEAT, retryDelay: 60_000 });
    await reached('k', 'CONNECTED');
    await until('three answered heartbeats', () => (connection('keepalive')?.heartbeats ?? 0) >= 3);

    expect(await page.evaluate(() => window.harness.states('k'))).to.deep.equal(['CONNECTING', 'CONNECTED']);
    const acks = await page.evaluate(() => window.harness.messages('k').map((m) => m.text));
    expect(acks.length).to.be.at.least(2);
    expect(acks.every((a) => a === HEARTBEAT_ACK)).to.equal(true);
    // Sent in the current format, binary by default.
    expect(connection('keepalive')!.frames.every((f) => f.text === HEARTBEAT && f.binary)).to.equal(true);

    // After USE_TEXT the heartbeat goes out as a text frame, like any other message.
    await command('k', 'USE_TEXT');
    const before = connection('keepalive')!.frames.length;
    await until('a heartbeat as text', () =>
      connection('keepalive')!
        .frames.slice(before)
        .some((f) => f.text === HEARTBEAT && !f.binary),
    );

    fixture!.answerHeartbeats = false;
    await page.waitForFunction(() => window.harness.states('k').includes('DISCONNECTED'), undefined, { timeout: 3000 });
    const { gap, error } = await page.evaluate(() => {
      const dead = window.harness.statuses('k').find((s) => s.state === 'DISCONNECTED')!;
      const last = window.harness
        .messages('k')
        .filter((m) => m.t <= dead.t)
        .at(-1)!;
      return { gap: dead.t - last.t, error: dead.error };
    });
    expect(error, 'DISCONNECTED says why').to.be.a('string');
    expect(gap, 'ms from the last frame to DISCONNECTED').to.be.within(pingInterval + pongTimeout - 15, pingInterval + pongTimeout + 150);
  });

  it('follows the browser going offline and online (the default online$)', async () => {
    await start('o', 'online', { retryDelay: 60_000 });
    await reached('o', 'CONNECTED');

    // Offline, a connection that drops is not retried: the machine rests in WAITING without a delay.
    await context.setOffline(true);
    fixture!.kick('online', 4000);
    await reached('o', 'WAITING', 1, 3000);
    await new Promise((r) => setTimeout(r, 300)); // long enough for an attempt it must not make
    const offline = await statuses('o');
    expect(offline.map((s) => s.state)).to.deep.equal(['CONNECTING', 'CONNECTED', 'DISCONNECTED', 'WAITING']);
    expect(offline[2]!.code).to.equal(4000);
    expect(offline[3]!.hasDelay, 'offline: WAITING without a delay').to.equal(false);

    await context.setOffline(false);
    await reached('o', 'CONNECTED', 2, 3000);
    const all = await statuses('o');
    const network = await page.evaluate(() => window.harness.network());
    expect(network.map((n) => n.event)).to.deep.equal(['offline', 'online']);
    const connecting = all.slice(offline.length);
    expect(connecting.map((s) => s.state)).to.deep.equal(['CONNECTING', 'CONNECTED']);
    // retryDelay is a minute, so only the online event can have started this attempt.
    expect(connecting[0]!.t - network[1]!.t, 'ms from the online event to CONNECTING').to.be.within(0, 100);

    // Starting while offline: the first status is already a WAITING without a delay.
    await context.setOffline(true);
    await start('o2', 'online-later');
    const first = await statuses('o2');
    expect(first.map((s) => [s.state, s.hasDelay])).to.deep.equal([['WAITING', false]]);
    await context.setOffline(false);
    await reached('o2', 'CONNECTED', 1, 3000);
    expect((await statuses('o2')).map((s) => s.state)).to.deep.equal(['WAITING', 'CONNECTING', 'CONNECTED']);
  });

  it('QUIT closes with code 1000: a final DISCONNECTED without error, then state$ and input$ complete', async () => {
    await start('q', 'quit');
    await reached('q', 'CONNECTED');
    await command('q', 'QUIT');
    await page.waitForFunction(() => window.harness.done('q').state && window.harness.done('q').input, undefined, { timeout: 3000 });
    const seen = await statuses('q');
    expect(seen.map((s) => s.state)).to.deep.equal(['CONNECTING', 'CONNECTED', 'DISCONNECTED']);
    expect(seen[2]!.error).to.equal(undefined);
    await until('the server to see the close', () => connection('quit')?.closeCode !== undefined);
    expect(connection('quit')!.closeCode).to.equal(1000);

    // Later calls are ignored, not thrown, and nothing more reaches the server.
    await send('q', { text: 'too late' });
    await command('q', 'RECONNECT');
    expect(connection('quit')!.frames).to.deep.equal([]);
    expect(fixture!.connections.filter((c) => c.id === 'quit')).to.have.length(1);
  });

  it('typed messages, a channel and a request work in the browser build (json(), errors$, stats)', async () => {
    const run = await page.evaluate((url) => window.harness.typed(url), fixture!.wsUrl('typed'));
    expect(run.channel).to.deep.equal([{ ch: 'news', n: 0 }]); // the subscribe message, echoed
    expect(run.reply).to.deep.equal({ ch: 'req', id: 7 });
    expect(run.errors).to.deep.equal(['DecodeError']); // the heartbeat's answer is not JSON
    expect(run).to.include({ messagesOut: 2, decodeErrors: 1, completed: true });
    // The channel joined on CONNECTED, ahead of the request that was queued before it; JSON as text frames.
    expect(connection('typed')!.frames.map((f) => [f.text, f.binary])).to.deep.equal([
      ['{"ch":"news","n":0}', false],
      ['{"ch":"req","id":7}', false],
      ['heartbeat', false],
    ]);
  });

  it('runs from a bundle that contains no ws code', () => {
    const inputs = Object.keys(metafile.inputs);
    expect(inputs.filter((p) => /node_modules[\\/]ws[\\/]/.test(p))).to.deep.equal([]);
    expect(inputs.some((p) => p.endsWith('lib/index.browser.ts'))).to.equal(true);
    expect(WS_MARKERS.filter((m) => bundle.includes(m))).to.deep.equal([]);
  });

  describe('the demo page (examples/browser)', () => {
    let demo: DemoServer | undefined;

    let failedRequests: string[] = [];

    beforeEach(async () => {
      demo = await startDemoServer({ tickMs: 250, downMs: 1200 });
      failedRequests = [];
      page.on('response', (response) => {
        if (response.status() >= 400) failedRequests.push(`${response.status()} ${response.url()}`);
      });
      await page.goto(demo.url);
    });

    afterEach(async () => {
      await demo?.close();
    });

    it('shows the live state with the WAITING countdown, messages in and out, and works every button', async () => {
      const state = page.locator('#state');
      await state.filter({ hasText: 'CONNECTED' }).waitFor({ timeout: 5000 });
      await page.locator('#log li.msg.in').nth(1).waitFor({ timeout: 5000 }); // two ticks

      // Typed text goes out as text (the server echoes text frames with "echo: "), binary after USE_BINARY.
      expect(await page.locator('#format').textContent()).to.equal('text');
      await page.fill('#text', 'hello from the browser test');
      await page.press('#text', 'Enter');
      await page.locator('#log li.msg.in', { hasText: 'echo: hello from the browser test' }).waitFor({ timeout: 3000 });
      await page.click('button[data-command="USE_BINARY"]');
      await page.fill('#text', 'now as binary');
      await page.click('form#send button[type="submit"]');
      await page.locator('#log li.msg.in', { hasText: 'now as binary' }).filter({ hasText: 'binary 13 B' }).waitFor({ timeout: 3000 });
      await page.click('button[data-command="USE_TEXT"]');
      // A heartbeat's answer is counted, not shown as a message.
      await page.click('button[data-command="PING"]');
      await page.locator('#counts', { hasText: /[1-9]\d* heartbeats answered/ }).waitFor({ timeout: 3000 });
      expect(await page.locator('#log li.msg.in', { hasText: 'heartbeat-ack' }).count()).to.equal(0);

      // The server goes down: the page counts the wait down, then comes back by itself.
      await page.click('#restart');
      await page.locator('#state[data-state="WAITING"]').waitFor({ timeout: 5000 });
      expect(await page.locator('#detail').textContent()).to.match(/next attempt in \d+\.\d s/);
      mkdirSync(OUT, { recursive: true });
      await page.screenshot({ path: `${OUT}demo-waiting.png` });
      await page.locator('#state[data-state="CONNECTED"]').waitFor({ timeout: 8000 });
      const drops = await page.locator('#log li.state', { hasText: 'DISCONNECTED' }).count();
      await page.click('button[data-command="RECONNECT"]');
      await page.locator('#log li.state', { hasText: 'DISCONNECTED' }).nth(drops).waitFor({ timeout: 3000 });
      await page.locator('#state[data-state="CONNECTED"]').waitFor({ timeout: 5000 });
      await page.locator('#log li.msg.in', { hasText: 'tick' }).first().waitFor({ timeout: 3000 });
      await page.click('button[data-command="USE_BINARY"]');

      await page.screenshot({ path: `${OUT}demo.png`, fullPage: true });

      expect(await state.textContent()).to.equal('CONNECTED');
      expect(await page.locator('#format').textContent()).to.equal('binary');
      expect(failedRequests, 'requests that failed').to.deep.equal([]);
      // Headless Chromium asks for no favicon; a desktop browser would: the page names an empty
      // one, and the server answers the conventional path without a 404.
      expect(await page.locator('link[rel="icon"]').count()).to.equal(1);
      expect((await fetch(new URL('/favicon.ico', demo!.url))).status).to.equal(204);
      expect(await page.locator('#log li.msg.in').count()).to.be.at.least(4);
      expect(await page.locator('#log li.msg.out').count()).to.be.at.least(4);
      const log = (await page.locator('#log').innerText()).toLowerCase();
      for (const seen of ['waiting', 'connecting', 'disconnected', 'connected']) expect(log).to.include(seen);

      await page.click('button[data-command="QUIT"]');
      await state.filter({ hasText: 'DISCONNECTED' }).waitFor({ timeout: 3000 });
      expect(await page.locator('#start').isVisible()).to.equal(true);
    });
  });
});
