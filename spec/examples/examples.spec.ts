import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// Runs every example as a user would (its own process, real servers on 127.0.0.1) and checks
// that it ends by itself with exit code 0 and tells the story it is meant to tell.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LIMIT_MS = 20_000;

interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly lines: readonly string[];
}

const children = new Set<ChildProcess>();

function run(example: string, ...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', `examples/${example}`, ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const limit = setTimeout(() => child.kill('SIGKILL'), LIMIT_MS);
    child.on('error', (error) => {
      clearTimeout(limit);
      children.delete(child);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(limit);
      children.delete(child);
      resolve({ code, signal, stdout, stderr, lines: stdout.split('\n') });
    });
  });
}

/** Each pattern must match a line after the line the previous pattern matched. */
function expectInOrder(lines: readonly string[], patterns: readonly RegExp[]): void {
  let from = 0;
  for (const pattern of patterns) {
    const at = lines.findIndex((line, index) => index >= from && pattern.test(line));
    expect(at, `no line matching ${pattern} after line ${from}:\n${lines.join('\n')}`).to.be.at.least(0);
    from = at + 1;
  }
}

function expectClean(result: Run): void {
  expect(result.signal, `killed after ${LIMIT_MS} ms:\n${result.stdout}\n${result.stderr}`).to.equal(null);
  expect(result.code, `exit code\n${result.stdout}\n${result.stderr}`).to.equal(0);
  expect(result.stderr).to.equal('');
  expect(result.stdout).not.to.include('\x1b['); // not a TTY: no colors
}

describe('examples', function () {
  this.timeout(LIMIT_MS + 5_000);
  this.slow(10_000);

  // All three run at once, so the suite takes as long as the slowest (the demo, ~8 s).
  let echo: Promise<Run>;
  let ticker: Promise<Run>;
  let demo: Promise<Run>;
  before(() => {
    echo = run('echo.ts');
    ticker = run('ticker.ts', '--seconds', '3');
    demo = run('demo.ts');
    // Each test awaits its own; keep an early rejection from going unhandled meanwhile.
    for (const result of [echo, ticker, demo]) {
      result.catch(() => {
        // Swallowed here only; the test that awaits this run still sees the rejection.
      });
    }
  });
  after(() => {
    for (const child of children) child.kill('SIGKILL');
  });

  it('echo: connects, echoes two text messages and a binary one, then quits', async () => {
    const result = await echo;
    expectClean(result);
    expect(result.lines.filter((line) => line.startsWith('STATE:'))).to.deep.equal([
      'STATE: CONNECTING',
      'STATE: CONNECTED',
      'STATE: DISCONNECTED',
    ]);
    expectInOrder(result.lines, [
      /^STATE: CONNECTED$/,
      /^SEND: +text "hello"$/,
      /^INPUT: text "hello"$/,
      /^SEND: +text "ws-machine"$/,
      /^INPUT: text "ws-machine"$/,
      /^SEND: +binary <cafebabe>$/,
      /^INPUT: binary <cafebabe>$/,
      /^STATE: DISCONNECTED$/,
    ]);
  });

  it('ticker: aggregates prices per window and keeps going across a server restart', async () => {
    const result = await ticker;
    expectClean(result);
    expectInOrder(result.lines, [
      /machine +CONNECTED$/,
      /window 1: [1-9]\d* ticks$/,
      /^ +ACME +\d+ +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+$/,
      /feed +killed/,
      /machine +DISCONNECTED \(.*1006/,
      /machine +CONNECTING \(attempt \d+\)$/,
      /machine +WAITING \(attempt \d+, retry in 250 ms\)$/,
      /feed +restarted on port \d+$/,
      /machine +CONNECTED$/,
      // the new server knew no subscriptions: the channels joined again by themselves
      /feed +subscribe ACME$/,
      // a window after the restart has data again
      /window \d+: [1-9]\d* ticks$/,
      /^ +BOLT +\d+ /,
      /done$/,
    ]);
    // The last window closes when the timer ends it or when input$ completes at QUIT, whichever
    // comes first: the final DISCONNECTED may be printed before or after it.
    expectInOrder(result.lines, [/feed +restarted on port \d+$/, /machine +CONNECTED$/, /machine +DISCONNECTED$/, /done$/]);
    const states = result.lines.filter((line) => line.includes(' machine '));
    expect(states.at(-1)).to.match(/machine +DISCONNECTED$/);
    expect(states.filter((line) => line.endsWith('CONNECTED') && !line.includes('DISCONNECTED'))).to.have.length(2);
  });

  it('demo: tells the whole story and exits by itself', async () => {
    const result = await demo;
    expectClean(result);
    expectInOrder(result.lines, [
      /server +listening on ws:\/\/127\.0\.0\.1:\d+\/echo$/,
      /state +CONNECTING +\(attempt 0\)$/,
      /state +CONNECTED +\(protocol "demo\.v1"\)$/,
      /cmd +Command\.USE_TEXT/,
      /recv +text +"hello, machine"$/,
      /recv +binary <01 02 03 ff> \(4 bytes\)$/,
      // keep-alive
      /server +ping received → pong sent$/,
      /note +nothing came in for 600 ms \(pingInterval\), so the machine pinged/,
      // a dead link, found by keep-alive
      /server +the link to client #1 goes dead/,
      /send +text +"anyone there\?"$/,
      /server +\(a ping from client #1 is lost on the dead link\)$/,
      /state +DISCONNECTED +PongTimeoutError: /,
      /state +CONNECTING +\(attempt 0\)$/,
      /state +CONNECTED +\(protocol "demo\.v1"\)$/,
      // the server dies; a queue of 3 gives up its oldest on dropped$
      /server +killed: 1 client terminated/,
      /state +DISCONNECTED +CloseError: .*1006/,
      /state +CONNECTING +\(attempt 0\)$/,
      /state +DISCONNECTED +ConnectError: .*ECONNREFUSED/,
      /state +WAITING +\(attempt 1, retry in 300 ms\)$/,
      /queue +text +"queued #1" +\(machine is WAITING: held until CONNECTED\)$/,
      /queue +dropped\$: text +"queued #1"/,
      /queue +dropped\$: text +"queued #2"/,
      /state +WAITING +\(attempt 2, retry in 600 ms\)$/,
      /state +WAITING +\(attempt 3, retry in 900 ms\)$/,
      /server +restarted on port \d+$/,
      /state +CONNECTING +\(attempt 3\)$/,
      /state +CONNECTED +\(protocol "demo\.v1"\)$/,
      /recv +text +"queued #3"$/,
      /recv +text +"queued #4"$/,
      /recv +text +"queued #5"$/,
      /cmd +Command\.RECONNECT/,
      /state +DISCONNECTED +ReconnectError/,
      /state +CONNECTING +\(attempt 0\)$/,
      /state +CONNECTED /,
      /cmd +Command\.QUIT/,
      /state +DISCONNECTED$/,
      /server +client #4 closed \(code 1000\)$/,
      /states seen +CONNECTING ×\d+, CONNECTED ×4, DISCONNECTED ×\d+, WAITING ×3$/,
      /messages +10 sent, 7 received, 2 dropped \(on dropped\$\), 1 lost on the dead link$/,
      /reconnects +3 /,
    ]);
    expect(result.lines.filter((line) => /cmd +Command\.RECONNECT/.test(line))).to.have.length(1);
    // What the dead link swallowed and what the queue gave up never come back.
    expect(result.lines.filter((line) => /recv .*("anyone there\?"|"queued #[12]")/.test(line))).to.deep.equal([]);
    // The keep-alive note is printed when the ping happens, right after the server saw it.
    const note = result.lines.findIndex((line) => /note +nothing came in for 600 ms/.test(line));
    expect(result.lines[note - 1]).to.match(/server +ping received → pong sent$/);
    // Keep-alive on the dead link: the ping 600 ms after the last frame (the pong before it), the
    // PongTimeoutError 1 s after the ping. Lower bounds less timer slack, generous upper bounds.
    const at = (pattern: RegExp, from = 0): number => {
      const line = result.lines.find((l, i) => i >= from && pattern.test(l)) ?? '';
      return Number(/^ *\+([\d.]+)s/.exec(line)?.[1]) * 1000;
    };
    const pong = at(/server +ping received → pong sent$/);
    const lostPing = at(/a ping from client #1 is lost/);
    const dead = at(/DISCONNECTED +PongTimeoutError/);
    expect(lostPing - pong, 'ms from the last frame to the ping on the dead link').to.be.within(600 - 50, 600 + 1500);
    expect(dead - lostPing, 'ms from the unanswered ping to PongTimeoutError').to.be.within(1000 - 50, 1000 + 1500);
    const took = Number(/took +([\d.]+) s/.exec(result.stdout)?.[1]);
    expect(took).to.be.within(6, 30);
  });
});
