// The Angular example (examples/angular), built AOT by the Angular CLI as a user would build it,
// run in Debian's Chromium (driven by playwright-core) against its own server on 127.0.0.1:
// two machines in one app, echo, a server restart, stability under zone.js, zoneless updates,
// and close code 1000 when a component or the app is destroyed. Every assertion is about what the
// page showed or the server saw.
//
//   npm run test:angular      (the build step prints a SKIP line when Chromium is missing)
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, WS_MARKERS } from '../support/chromium.js';
import { APP_DIR, startExampleServer, type Connection, type ExampleServer } from '../../examples/angular/server.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/angular/', import.meta.url));
const NG = fileURLToPath(new URL('../../node_modules/@angular/cli/bin/ng.js', import.meta.url));

/** The traces `ws` would leave in a bundle. */

/** Polls a Node-side condition (what the server saw) until it holds. */
async function until(what: string, check: () => boolean, timeout = 5000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The ms from now until the page's ApplicationRef says it is stable (-1: not within `limit` ms). */
function msUntilStable(page: Page, limit: number): Promise<number> {
  return page.evaluate((max) => {
    const app = (window as unknown as { exampleApp: { isStable: { subscribe(f: (s: boolean) => void): { unsubscribe(): void } } } })
      .exampleApp;
    const start = performance.now();
    return new Promise<number>((resolve) => {
      const timer = setTimeout(() => resolve(-1), max);
      const subscription = app.isStable.subscribe((stable) => {
        if (!stable) return;
        clearTimeout(timer);
        resolve(performance.now() - start);
        queueMicrotask(() => subscription.unsubscribe());
      });
    });
  }, limit);
}

describe('the Angular example in Chromium (ng build, AOT)', function () {
  this.timeout(20_000);
  let browser: Browser | undefined;
  let server: ExampleServer | undefined;
  let context: BrowserContext | undefined;
  let page: Page;
  let pageErrors: string[];

  const text = (selector: string): Promise<string> => page.locator(selector).first().innerText();
  const connections = (path: string): Connection[] => server!.connections.filter((c) => c.path === path);

  /** Waits until the element shows exactly `value`. */
  async function shows(selector: string, value: string, timeout = 5000): Promise<void> {
    try {
      await page.waitForFunction(([s, v]) => document.querySelector(s)?.textContent.trim() === v, [selector, value] as const, {
        timeout,
        polling: 'raf',
      });
    } catch (e) {
      const seen = await page
        .locator(selector)
        .textContent()
        .catch(() => null);
      throw new Error(`${selector} did not show "${value}" within ${timeout} ms (it shows ${JSON.stringify(seen)})`, { cause: e });
    }
  }

  async function open(path: string): Promise<void> {
    context = await browser!.newContext();
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      // A refused WebSocket is logged by Chromium itself; anything else the app logs is a failure.
      if (m.type() === 'error' && !m.text().includes('WebSocket connection to')) pageErrors.push(m.text());
    });
    await page.goto(`${server!.origin}${path}`);
  }

  before(async function () {
    this.timeout(180_000);
    if (!existsSync(CHROMIUM)) {
      console.log(`SKIP Angular browser tests: ${CHROMIUM} not found (apt-get install chromium, or set CHROMIUM_PATH)`);
      this.skip();
    }
    rmSync(`${EXAMPLE}dist`, { recursive: true, force: true });
    const started = Date.now();
    // No network at build time: no analytics, no font inlining (angular.json says so too).
    await promisify(execFile)(process.execPath, [NG, 'build'], {
      cwd: EXAMPLE,
      env: { ...process.env, NG_CLI_ANALYTICS: 'false', NG_FORCE_TTY: 'false', CI: 'true' },
      timeout: 170_000,
      maxBuffer: 16 << 20,
    });
    console.log(`    (ng build: ${((Date.now() - started) / 1000).toFixed(1)} s)`);
    server = await startExampleServer({ tickMs: 100 });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS] });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  beforeEach(() => {
    pageErrors = [];
  });

  afterEach(async () => {
    await context?.close();
    context = undefined;
    expect(pageErrors, 'errors in the page').to.deep.equal([]);
  });

  it('bundles the browser build: no `ws` in the app', () => {
    const scripts = readdirSync(APP_DIR).filter((f) => f.endsWith('.js'));
    expect(scripts.some((f) => f.startsWith('main-'))).to.equal(true);
    for (const file of scripts) {
      const code = readFileSync(`${APP_DIR}${file}`, 'utf8');
      for (const marker of WS_MARKERS) expect(code, `${file} contains ${marker}`).not.to.include(marker);
    }
  });

  it('with zone.js: two machines connect, echo and stream, and the app is stable within 1 s of CONNECTED', async () => {
    await open('/');
    expect(await page.evaluate(() => typeof (window as { Zone?: unknown }).Zone)).to.equal('function');
    await shows('#echo-state', 'CONNECTED');
    const stable = await msUntilStable(page, 1000);
    expect(stable, 'ms from CONNECTED on screen to ApplicationRef.isStable').to.be.within(0, 1000);
    await shows('#ticker-state', 'CONNECTED');
    await page.waitForSelector('.quote', { timeout: 5000 });

    await page.fill('#echo-input', 'hello from a click');
    await page.click('#echo-send'); // in the zone: the machine sends outside it
    await shows('#echo-reply', 'hello from a click');
    expect(connections('/ws/echo').at(-1)!.received).to.deep.equal(['hello from a click']);
    expect(connections('/ws/ticker').at(-1)!.received).to.include.members(['{"type":"subscribe","symbol":"ACME"}']);
    expect(await msUntilStable(page, 1000), 'stable again after the echo').to.be.within(0, 1000);
  });

  it('with zone.js: a RECONNECT from a click opens its socket outside the zone', async () => {
    await open('/');
    await shows('#echo-state', 'CONNECTED');
    const before = connections('/ws/echo').length;
    await page.click('text=Reconnect');
    await until('a second echo connection', () => connections('/ws/echo').length === before + 1);
    await shows('#echo-state', 'CONNECTED');
    expect(await msUntilStable(page, 1000), 'ms from CONNECTED (after RECONNECT) to stable').to.be.within(0, 1000);
    await until('RECONNECT to drop the old connection', () => connections('/ws/echo')[before - 1]!.closeCode !== undefined);
  });

  it('shows the error while the server restarts (lastError), reconnects, and clears it on CONNECTED', async function () {
    this.timeout(40_000);
    await open('/');
    await shows('#ticker-state', 'CONNECTED');
    await shows('#echo-state', 'CONNECTED');
    const tickers = connections('/ws/ticker').length;

    await server!.stop();
    // The DISCONNECTED that carries the error is followed at once by CONNECTING/WAITING: the
    // error must still be on screen while the machine waits.
    await shows('#ticker-state', 'WAITING');
    expect(await page.locator('#ticker-error').innerText()).to.match(/Error: /);
    await page.waitForSelector('#echo-error', { timeout: 5000 });

    await server!.start();
    // The example keeps the default backoff: the next attempt may be up to 4 s away.
    await shows('#ticker-state', 'CONNECTED', 15_000);
    await shows('#echo-state', 'CONNECTED', 15_000);
    expect(await page.locator('#ticker-error').count(), 'the error clears on CONNECTED').to.equal(0);
    expect(await page.locator('#echo-error').count()).to.equal(0);
    // The ticker subscribed again on the new connection, and the echo works again.
    await until(
      'a new ticker subscription',
      () => connections('/ws/ticker').length > tickers && connections('/ws/ticker').at(-1)!.received.length > 0,
    );
    await page.fill('#echo-input', 'after the restart');
    await page.click('#echo-send');
    await shows('#echo-reply', 'after the restart');
  });

  it('QUITs with close code 1000 when its component is destroyed, and when the app is destroyed', async () => {
    await open('/');
    await shows('#ticker-state', 'CONNECTED');
    await shows('#echo-state', 'CONNECTED');
    const ticker = connections('/ws/ticker').at(-1)!;
    const echo = connections('/ws/echo').at(-1)!;

    await page.click('#toggle-ticker');
    await until('the ticker connection to close', () => ticker.closeCode !== undefined);
    expect(ticker.closeCode).to.equal(1000);
    expect(echo.closeCode, 'the other machine is untouched').to.equal(undefined);

    await page.evaluate(() => (window as unknown as { exampleApp: { destroy(): void } }).exampleApp.destroy());
    await until('the echo connection to close', () => echo.closeCode !== undefined);
    expect(echo.closeCode).to.equal(1000);
  });

  it('without zone.js (zoneless): the signals update the view', async () => {
    await open('/zoneless');
    await shows('#echo-state', 'CONNECTED');
    expect(await page.evaluate(() => typeof (window as { Zone?: unknown }).Zone), 'no zone.js on the page').to.equal('undefined');
    await shows('#ticker-state', 'CONNECTED');
    await page.waitForSelector('.quote', { timeout: 5000 });
    const first = await text('.quote');
    await page.waitForFunction((was) => document.querySelector('.quote')?.textContent !== was, first, { timeout: 5000 });

    await page.fill('#echo-input', 'zoneless');
    await page.click('#echo-send');
    await shows('#echo-reply', 'zoneless');
    expect(await msUntilStable(page, 1000)).to.be.within(0, 1000);
  });
});
