// The machine behind real reverse proxies: Debian's nginx and haproxy, plain and terminating TLS,
// each cutting tunnels that are idle for IDLE_MS. What a deployment does to a WebSocket that the
// TCP fault proxy (proxy.ts) only imitates: an HTTP upgrade passed on by another server, TLS ended
// in front of the server, an idle timeout, a proxy that dies and comes back. Skips, with a message,
// when the binary is missing (`apt-get install nginx-light haproxy`; .ci/run installs them).
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { WebSocket } from 'ws';
import { CloseError, Command, ConnectError, Machine, State, type MachineOptions, type Message } from '../../lib/index.js';
import { record, serve, tick, until, type Served, type StatusLog } from './helpers.js';
import { findProxy, ReverseProxy, type ProxyKind } from './reverse-proxy.js';

const IDLE_MS = 1000;
const CA = readFileSync(fileURLToPath(new URL('./fixtures/ca.pem', import.meta.url)));

/** The upstream: echoes every message as it came, counts pings (ws answers them), picks `demo.v1`. */
interface Upstream {
  readonly served: Served;
  /** Close codes the server saw, by request path. */
  readonly closes: Map<string, number[]>;
  /** Pings the server received, over all connections. */
  readonly pings: number;
}

async function upstream(): Promise<Upstream> {
  const closes = new Map<string, number[]>();
  let pings = 0;
  const served = await serve({
    handleProtocols: (offered) => (offered.has('demo.v1') ? 'demo.v1' : false),
    onConnection: (ws: WebSocket, path: string) => {
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
      ws.on('ping', () => pings++);
      ws.on('close', (code) => closes.set(path, [...(closes.get(path) ?? []), code]));
    },
  });
  return {
    served,
    closes,
    get pings() {
      return pings;
    },
  };
}

const show = (log: StatusLog): string[] => log.all.map((s) => `${s.state}${s.error ? ` ${s.error.name}` : ''}`);

for (const kind of ['nginx', 'haproxy'] as const satisfies readonly ProxyKind[]) {
  describe(`reliability: behind a real reverse proxy (${kind})`, function () {
    this.timeout(20_000);
    let server: Upstream | undefined;
    let proxy: ReverseProxy | undefined;
    const machines: Machine[] = [];

    before(async function () {
      const bin = findProxy(kind);
      if (bin === undefined) {
        console.log(
          `SKIP ${kind} tests: no ${kind} binary (apt-get install ${kind === 'nginx' ? 'nginx-light' : 'haproxy'}, or set ${kind.toUpperCase()}_PATH)`,
        );
        this.skip();
      }
      server = await upstream();
      proxy = await ReverseProxy.start(kind, bin, server.served.port, IDLE_MS);
    });

    afterEach(async () => {
      for (const machine of machines.splice(0)) machine.command.next(Command.QUIT);
      await tick(50); // the close handshakes
    });

    after(async () => {
      await proxy?.stop();
      await server?.served.close();
    });

    /** A machine through the proxy, on a path of its own (the server's records are by path). */
    function start(tls: boolean, options: MachineOptions = {}): { machine: Machine; log: StatusLog; inbox: Message[]; path: string } {
      const p = proxy as ReverseProxy;
      const path = `/live/${machines.length + 1}-${Date.now()}`;
      const url = tls ? `wss://127.0.0.1:${p.tlsPort}${path}` : `ws://127.0.0.1:${p.port}${path}`;
      const machine = new Machine(url, {
        protocols: ['other.v2', 'demo.v1'],
        retryDelay: 50,
        minUptime: 300,
        pingInterval: 0,
        ...(tls ? { tls: { ca: CA } } : {}),
        ...options,
      });
      machines.push(machine);
      const inbox: Message[] = [];
      machine.input$.subscribe((m) => inbox.push(m));
      return { machine, log: record(machine.state$), inbox, path };
    }

    for (const tls of [false, true]) {
      it(`${tls ? 'wss (TLS ended at the proxy)' : 'ws'}: the sub-protocol, text and binary echo, and 2,000 messages sent in one tick, whole and in order`, async () => {
        const { machine, log, inbox } = start(tls);
        await until(() => machine.status.state === State.CONNECTED, 5000, 'CONNECTED');
        expect(show(log)).to.deep.equal(['CONNECTING', 'CONNECTED']);
        expect(machine.status).to.deep.include({ state: State.CONNECTED, protocol: 'demo.v1' });

        machine.command.next(Command.USE_TEXT);
        machine.output.next('hello');
        machine.command.next(Command.USE_BINARY);
        machine.output.next(new Uint8Array([1, 2, 3]));
        await until(() => inbox.length === 2, 3000, 'two echoes');
        expect(inbox[0]).to.equal('hello');
        expect(inbox[1]).to.be.instanceOf(Uint8Array);
        expect([...(inbox[1] as Uint8Array)]).to.deep.equal([1, 2, 3]);

        inbox.length = 0;
        for (let i = 0; i < 2000; i++) machine.output.next(new Uint8Array([i & 255, i >> 8]));
        await until(() => inbox.length >= 2000, 10_000, '2,000 echoes');
        const wrong = inbox.findIndex((m, i) => !(m instanceof Uint8Array) || m[0] !== (i & 255) || m[1] !== i >> 8);
        expect(wrong, 'first echo out of order or changed').to.equal(-1);
        expect(inbox).to.have.length(2000);
        expect(machine.stats()).to.include({ messagesOut: 2002, messagesIn: 2002, connects: 1, drops: 0 });
      });
    }

    it(`wss: pings keep the connection through ${kind}'s ${IDLE_MS} ms idle timeout for three times that, and it still carries messages`, async () => {
      const pingInterval = 250; // 750 ms of slack under the cut for a stalled event loop
      const { machine, log, inbox } = start(true, { pingInterval, pongTimeout: 2 * IDLE_MS });
      await until(() => machine.status.state === State.CONNECTED, 5000, 'CONNECTED');
      const pingsBefore = (server as Upstream).pings;
      await tick(3 * IDLE_MS);
      expect(show(log), 'statuses').to.deep.equal(['CONNECTING', 'CONNECTED']);
      // About 12 pings in the 3 s; a lower bound that a loaded machine still meets.
      expect((server as Upstream).pings - pingsBefore, 'pings the server received').to.be.at.least(4);
      machine.output.next('still there?');
      await until(() => inbox.length === 1, 3000, 'the echo');
      expect(machine.stats().drops).to.equal(0);
    });

    it(`ws: without keep-alive ${kind} cuts the idle tunnel after its timeout; the machine reports the close and reconnects at once`, async () => {
      const { machine, log } = start(false);
      await until(() => machine.status.state === State.CONNECTED, 5000, 'CONNECTED');
      const connectedAt = log.times[1] as number;
      await until(() => log.all.length >= 5, IDLE_MS + 8000, 'the cut and the reconnect');
      expect(show(log)).to.deep.equal(['CONNECTING', 'CONNECTED', 'DISCONNECTED CloseError', 'CONNECTING', 'CONNECTED']);
      const cut = log.all[2]?.error;
      expect(cut).to.be.instanceOf(CloseError);
      expect((cut as CloseError).code, 'close code: the proxy ended the TCP connection without a close frame').to.equal(1006);
      // The proxy's timer runs from its last read, just before CONNECTED: allow a little for that.
      expect((log.times[2] as number) - connectedAt, 'ms from CONNECTED to the cut').to.be.within(IDLE_MS - 200, IDLE_MS + 8000);
      expect(log.all[3]).to.deep.include({ state: State.CONNECTING, attempt: 0 });
    });

    it(`wss: ${kind} killed and started again: the machine retries until it is back, then sends what was queued meanwhile, in order`, async () => {
      const p = proxy as ReverseProxy;
      const { machine, log, inbox } = start(true);
      await until(() => machine.status.state === State.CONNECTED, 5000, 'CONNECTED');
      await p.crash();
      await until(() => log.all.length >= 3, 5000, 'the drop');
      expect(log.all[2]?.error, 'the drop').to.be.instanceOf(CloseError);
      machine.command.next(Command.USE_TEXT);
      for (let i = 0; i < 5; i++) machine.output.next(`queued ${i}`);
      await until(() => log.all.some((s) => s.state === State.WAITING), 5000, 'a refused attempt, then WAITING');
      const refused = log.all.find((s) => s.state === State.DISCONNECTED && s.error instanceof ConnectError);
      expect(refused, 'a failed attempt while the proxy was down').to.not.equal(undefined);
      await p.restart();
      await until(() => inbox.length === 5, 8000, 'the queued messages');
      expect(inbox).to.deep.equal(['queued 0', 'queued 1', 'queued 2', 'queued 3', 'queued 4']);
      expect(machine.status.state).to.equal(State.CONNECTED);
      expect(machine.stats()).to.include({ connects: 2, drops: 1, dropped: 0 });
    });

    it(`ws: QUIT through ${kind}: one final DISCONNECTED, and the server sees the close code 1000`, async () => {
      const { machine, log, path } = start(false);
      await until(() => machine.status.state === State.CONNECTED, 5000, 'CONNECTED');
      let completed = false;
      machine.state$.subscribe({ complete: () => (completed = true) });
      machine.command.next(Command.QUIT);
      await until(() => (server as Upstream).closes.has(path), 3000, 'the close at the server');
      expect((server as Upstream).closes.get(path)).to.deep.equal([1000]);
      expect(show(log)).to.deep.equal(['CONNECTING', 'CONNECTED', 'DISCONNECTED']);
      expect(completed, 'state$ completed').to.equal(true);
    });
  });
}
