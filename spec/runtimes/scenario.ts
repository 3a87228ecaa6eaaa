/**
 * One client scenario, run by Bun or Deno: runtimes.spec.ts spawns it and runs the servers in Node.
 * It loads the package by its name, as a user's code would, so the runtime itself resolves the
 * package's exports to the built dist/esm. It prints one JSON line per observation on stdout and
 * judges nothing: the parent asserts. It never calls process.exit: after QUIT the process must end
 * by itself, with nothing left running.
 *
 * Usage: `<runtime> spec/runtimes/scenario.ts <echo|keepalive|silent|restart> <ws url>`
 */
import process from 'node:process';
import type * as Api from '../../lib/index.js';

// A variable, so that tsc takes the types from lib/ and type-checks this file without a build.
const pkg = 'ws-machine';
const { Machine, Command } = (await import(pkg)) as typeof Api;

const [scenario = '', url = ''] = process.argv.slice(2);
const started = Date.now();

function report(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ ...line, at: Date.now() - started })}\n`);
}

// Pings every 100 ms of silence. A healthy connection must survive 1.5 s of them; if pongs did not
// count as activity it would drop 700 ms in. The 600 ms pongTimeout leaves room for a loaded machine.
const HEALTHY: Api.MachineOptions = { pingInterval: 100, pongTimeout: 600 };

const OPTIONS: Record<string, Api.MachineOptions> = {
  echo: { format: 'text', ...HEALTHY },
  keepalive: HEALTHY,
  silent: { pingInterval: 100, pongTimeout: 150, retryDelay: 100 },
  restart: { format: 'text', retryDelay: 100 },
};
const options = OPTIONS[scenario];
if (options === undefined) throw new Error(`unknown scenario "${scenario}"`);

const machine = new Machine(url, options);
let connects = 0;
let received = 0;
let queued = false;

function quit(): void {
  report({ t: 'quit' });
  machine.command.next(Command.QUIT);
}

machine.input$.subscribe((message) => {
  received++;
  if (typeof message === 'string') report({ t: 'input', text: message });
  else report({ t: 'input', bytes: [...message], uint8array: message instanceof Uint8Array });
  if (scenario === 'echo' && received === 2) quit();
  if (scenario === 'restart' && received === 3) quit();
});

machine.state$.subscribe({
  next: (status) => {
    report({ t: 'status', state: status.state, error: status.error?.name, attempt: status.attempt });
    if (status.state === 'CONNECTED') connects++;
    if (status.state === 'CONNECTED' && connects === 1) {
      if (scenario === 'echo') {
        machine.output.next('hello from the runtime');
        machine.command.next(Command.USE_BINARY);
        machine.output.next(new Uint8Array([0, 1, 2, 255]));
      }
      // Several pingIntervals of silence from the server, only pongs: a healthy connection.
      if (scenario === 'keepalive') setTimeout(quit, 1500);
    }
    if (status.state === 'CONNECTED' && connects === 2 && scenario === 'silent') quit();
    if (scenario === 'restart' && status.state === 'DISCONNECTED' && status.error !== undefined && !queued) {
      // The server is gone: these wait in the queue and go out, in order, on the next CONNECTED.
      queued = true;
      for (const m of ['q1', 'q2', 'q3']) machine.output.next(m);
      report({ t: 'queued' });
    }
  },
  complete: () => report({ t: 'complete' }),
});
