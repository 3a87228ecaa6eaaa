// Security promises (SECURITY.md): certificate checks on wss, TLS settings passed through,
// credentials redacted from every error, an incoming size limit, a bounded opening handshake,
// and redirects only when asked for.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import type { TLSSocket } from 'node:tls';
import { lastValueFrom } from 'rxjs';
import WebSocket from 'ws';
import {
  CloseError,
  Command,
  ConnectError,
  ConnectTimeoutError,
  Machine,
  State,
  UpgradeError,
  type MachineOptions,
  type Status,
  type WebSocketConstructor,
} from '../../lib/index.js';
import { record, serve, until, type Served, type StatusLog } from './helpers.js';
import { FaultProxy } from './proxy.js';

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const CA = fixture('ca.pem');
const SERVER_CERT = fixture('server.pem');
const SERVER_KEY = fixture('server-key.pem');
const CLIENT_CERT = fixture('client.pem');
const CLIENT_KEY = fixture('client-key.pem');

// Credentials that must never show up in an error.
const PASSWORD = 'hunter2-pass-7Q';
const TOKEN = 'tok-SECRET-31x';
const HEADER_SECRET = 'hdr-SECRET-95z';
const API_KEY = 'key-SECRET-44k';
const SECRETS = [PASSWORD, TOKEN, HEADER_SECRET, API_KEY];

/** Every string an error carries, its causes' too: message, stack, own string properties. */
function texts(error: unknown, seen = new Set<unknown>()): string[] {
  if (error === null || error === undefined || seen.has(error)) return [];
  seen.add(error);
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- String() is the point: the text a log line shows, whatever the value
  const out: string[] = [String(error)];
  if (typeof error !== 'object') return out;
  for (const key of Object.getOwnPropertyNames(error)) {
    const value = (error as Record<string, unknown>)[key];
    if (typeof value === 'string') out.push(value);
    else if (key === 'cause' || value instanceof Error) out.push(...texts(value, seen));
  }
  return out;
}

function expectNoSecret(what: unknown, label: string): void {
  const all = texts(what).join('\n');
  for (const secret of SECRETS) expect(all, `${label} must not contain ${secret}`).to.not.include(secret);
}

function expectStatusesClean(log: StatusLog): void {
  for (const status of log.all) {
    expectNoSecret(status.error, `${status.state} error`);
    expect(JSON.stringify(status), 'status').to.not.match(new RegExp(SECRETS.join('|')));
  }
}

/** The error of the first DISCONNECTED, once the machine has stopped (maxAttempts: 1). */
async function finalError(machine: Machine, log: StatusLog): Promise<Error> {
  await lastValueFrom(machine.state$);
  const status = log.all.find((s) => s.state === State.DISCONNECTED);
  expect(status?.error, `a DISCONNECTED with an error; got ${JSON.stringify(log.all.map((s) => s.state))}`).to.be.instanceOf(Error);
  return status?.error as Error;
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('security', function () {
  this.timeout(10_000);
  const machines: Machine[] = [];
  const closers: (() => Promise<void>)[] = [];
  const start = (url: string | (() => string | Promise<string>), options: MachineOptions = {}): { machine: Machine; log: StatusLog } => {
    const machine = new Machine(url, options);
    machines.push(machine);
    return { machine, log: record(machine.state$) };
  };
  afterEach(async () => {
    for (const machine of machines.splice(0)) machine.command.next(Command.QUIT);
    for (const close of closers.splice(0).reverse()) await close();
  });

  describe('wss: certificates are verified', () => {
    let wss: Served;
    let url: string;
    let clientCerts: string[];
    beforeEach(async () => {
      clientCerts = [];
      const server = https.createServer({ cert: SERVER_CERT, key: SERVER_KEY, ca: CA, requestCert: true, rejectUnauthorized: false });
      wss = await serve({
        server,
        onConnection: (ws, path) => {
          const socket = (ws as unknown as { _socket: TLSSocket })._socket;
          const peer = socket.getPeerCertificate();
          clientCerts.push(`${path} ${socket.authorized ? String(peer.subject.CN ?? '?') : 'none'}`);
          // /mtls insists on a client certificate signed by the CA.
          if (path === '/mtls' && !socket.authorized) ws.close(4401, 'client certificate required');
        },
      });
      url = `wss://127.0.0.1:${wss.port}`;
      closers.push(() => wss.close());
    });

    it('refuses a server whose certificate is not signed by a trusted CA (by default)', async () => {
      const { machine, log } = start(`${url}/`, { maxAttempts: 1 });
      const error = await finalError(machine, log);
      expect(error).to.be.instanceOf(ConnectError);
      const cause = error.cause as { code?: string } | undefined;
      expect(cause?.code, `certificate error code (${String(error.cause)})`).to.match(/CERT|SIGNATURE|ISSUER/);
      expect(log.count((s) => s.state === State.CONNECTED)).to.equal(0);
      expect(wss.paths, 'no upgrade request got through').to.deep.equal([]);
    });

    it('accepts it when its CA is given as tls.ca', async () => {
      const { log } = start(`${url}/`, { tls: { ca: CA } });
      await until(() => log.last()?.state === State.CONNECTED, 5000, 'CONNECTED over wss');
    });

    it('passes servername through: a name the certificate does not cover is refused', async () => {
      const { machine, log } = start(`${url}/`, { tls: { ca: CA, servername: 'not-this-server.test' }, maxAttempts: 1 });
      const error = await finalError(machine, log);
      expect((error.cause as { code?: string }).code).to.equal('ERR_TLS_CERT_ALTNAME_INVALID');
      expect(error.message).to.include('not-this-server.test');
    });

    it('passes rejectUnauthorized through (false accepts any certificate)', async () => {
      const { log } = start(`${url}/`, { tls: { rejectUnauthorized: false } });
      await until(() => log.last()?.state === State.CONNECTED, 5000, 'CONNECTED without verification');
    });

    it('passes cert and key through (mutual TLS)', async () => {
      const { log } = start(`${url}/mtls`, { tls: { ca: CA, cert: CLIENT_CERT, key: CLIENT_KEY }, minUptime: 0 });
      await until(() => log.last()?.state === State.CONNECTED, 5000, 'CONNECTED with a client certificate');
      expect(clientCerts).to.deep.equal(['/mtls ws-machine test client']);
      const { log: without } = start(`${url}/mtls`, { tls: { ca: CA }, maxAttempts: 1 });
      await until(() => without.all.some((s) => s.state === State.DISCONNECTED), 5000, 'refused without one');
      expect(without.all.find((s) => s.state === State.DISCONNECTED)?.error).to.include({ code: 4401 });
    });
  });

  describe('credentials never appear in errors', () => {
    const headers = { authorization: `Bearer ${HEADER_SECRET}`, 'x-api-key': API_KEY };

    it('a refused connection: user:pass@, token query values and header values are redacted', async () => {
      const port = await closedPort();
      const { machine, log } = start(`ws://alice:${PASSWORD}@127.0.0.1:${port}/feed?token=${TOKEN}&v=2`, { headers, maxAttempts: 1 });
      const error = await finalError(machine, log);
      expect(error).to.be.instanceOf(ConnectError);
      expect(error.message).to.include(`127.0.0.1:${port}`); // still says where it went
      expectNoSecret(error, 'ConnectError');
      expectStatusesClean(log);
    });

    it('a server that refuses the upgrade (HTTP 401)', async () => {
      const server = await serve({
        onUpgrade: (_req, socket) => {
          socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
          return true;
        },
      });
      closers.push(() => server.close());
      const { machine, log } = start(`ws://alice:${PASSWORD}@127.0.0.1:${server.port}/feed?access_token=${TOKEN}`, {
        headers,
        maxAttempts: 1,
      });
      const error = await finalError(machine, log);
      expect(error).to.be.instanceOf(UpgradeError);
      expect(error).to.include({ status: 401 });
      expectNoSecret(error, 'UpgradeError');
      expectStatusesClean(log);
    });

    it('through the standard WebSocket API too (the WebSocket option)', async () => {
      const server = await serve({
        onUpgrade: (_req, socket) => {
          socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
          return true;
        },
      });
      closers.push(() => server.close());
      const port = await closedPort();
      for (const target of [`127.0.0.1:${server.port}`, `127.0.0.1:${port}`]) {
        const { machine, log } = start(`ws://alice:${PASSWORD}@${target}/feed?token=${TOKEN}`, {
          WebSocket: WebSocket as unknown as WebSocketConstructor,
          headers,
          maxAttempts: 1,
        });
        const error = await finalError(machine, log);
        expect(error).to.be.instanceOf(target.endsWith(String(port)) ? ConnectError : UpgradeError);
        expectNoSecret(error, `error via the standard API (${target})`);
        expectStatusesClean(log);
      }
    });

    it('a URL provider that gives a URL with a bad scheme or a fragment', async () => {
      const bad = [`ftp://alice:${PASSWORD}@example.test/?token=${TOKEN}`, `ws://alice:${PASSWORD}@h/?token=${TOKEN}#x`];
      for (const url of bad) {
        const { machine, log } = start(() => url, { maxAttempts: 1 });
        const error = await finalError(machine, log);
        expect(error, url).to.be.instanceOf(ConnectError);
        expectNoSecret(error, `provider giving ${url}`);
        expectStatusesClean(log);
      }
    });

    it('a headers value the HTTP layer rejects', async () => {
      const server = await serve();
      closers.push(() => server.close());
      const { machine, log } = start(`${server.url}/`, {
        headers: () => ({ authorization: `Bearer ${HEADER_SECRET}\r\nX-Injected: 1` }),
        maxAttempts: 1,
      });
      const error = await finalError(machine, log);
      expect(error).to.be.instanceOf(ConnectError);
      expectNoSecret(error, 'bad header');
      expect(server.paths, 'nothing was sent').to.deep.equal([]);
    });

    it('a URL provider that throws or rejects', async () => {
      const failing = [
        (): string => {
          throw new Error('token service down');
        },
        (): Promise<string> => Promise.reject(new Error('token service down')),
      ];
      for (const provider of failing) {
        const { machine, log } = start(provider, { headers, maxAttempts: 1 });
        const error = await finalError(machine, log);
        expect(error).to.be.instanceOf(ConnectError);
        expect(error.message).to.include('token service down');
        expectNoSecret(error, 'provider failure');
      }
    });

    const construct = (url: string, options?: MachineOptions): unknown => {
      try {
        machines.push(new Machine(url, options));
      } catch (error) {
        return error;
      }
      return undefined;
    };

    it('errors thrown at construction (bad scheme, fragment, bad headers)', () => {
      const cases: [string, MachineOptions?][] = [
        [`ftp://alice:${PASSWORD}@example.test/?token=${TOKEN}`],
        [`wss://alice:${PASSWORD}@example.test/?token=${TOKEN}#fragment`],
        ['ws://example.test/', { headers: { authorization: 42 as unknown as string, 'x-api-key': API_KEY } }],
        ['ws://example.test/', { headers: [HEADER_SECRET] as unknown as Record<string, string> }],
      ];
      for (const [url, options] of cases) {
        const thrown = construct(url, options);
        expect(thrown, url).to.be.instanceOf(Error);
        expectNoSecret(thrown, `thrown for ${url}`);
      }
    });

    // The URL parser's own error keeps the whole input (`cause.input`), so it must not be the cause.
    it('an unparseable URL: the thrown error and its causes are redacted', async () => {
      for (const url of [`ws://alice:${PASSWORD}@exa mple.test/?token=${TOKEN}`, `not a url at all ?token=${TOKEN}`]) {
        const thrown = construct(url);
        expect(thrown, url).to.be.instanceOf(SyntaxError);
        expectNoSecret(thrown, `thrown for ${url}`);
      }
      const { machine, log } = start(() => `ws://alice:${PASSWORD}@[::1/?token=${TOKEN}`, { maxAttempts: 1 });
      expectNoSecret(await finalError(machine, log), 'provider giving an unparseable URL');
    });

    // User info ends at the last '@' before the host: `ws://alice:se@cret@host/` has password "se@cret".
    it('a password with an "@" in it is redacted whole', async () => {
      const port = await closedPort();
      const password = `p@${PASSWORD}`;
      const { machine, log } = start(`ws://alice:${password}@127.0.0.1:${port}/`, { maxAttempts: 1 });
      const error = await finalError(machine, log);
      expectNoSecret(error, 'ConnectError');
    });
  });

  describe('hostile servers', () => {
    it('a frame over maxMessageSize drops the connection with CloseError 1009, then the machine reconnects', async () => {
      let connections = 0;
      const server = await serve({
        onConnection: (ws) => {
          connections++;
          ws.send(Buffer.alloc(1024)); // exactly the limit: fine
          if (connections === 1) ws.send(Buffer.alloc(1025));
        },
      });
      closers.push(() => server.close());
      const { machine, log } = start(`${server.url}/`, { maxMessageSize: 1024, minUptime: 0 });
      const sizes: number[] = [];
      machine.input$.subscribe((m) => sizes.push(typeof m === 'string' ? m.length : m.byteLength));
      await until(() => log.count((s) => s.state === State.CONNECTED) === 2, 5000, 'reconnected');
      const drop = log.all.find((s) => s.state === State.DISCONNECTED);
      expect(drop?.error).to.be.instanceOf(CloseError);
      expect(drop?.error).to.include({ code: 1009 });
      expect(drop?.error?.message).to.include('maxMessageSize');
      expect(log.all.map((s) => s.state)).to.deep.equal([
        State.CONNECTING,
        State.CONNECTED,
        State.DISCONNECTED,
        State.CONNECTING,
        State.CONNECTED,
      ]);
      await until(() => sizes.length === 2, 5000, 'the two messages at the limit');
      expect(sizes).to.deep.equal([1024, 1024]);
    });

    it("the default maxMessageSize is 16 MiB, far below ws's 100 MiB", async function () {
      this.timeout(15_000);
      const limit = 16 * 1024 * 1024;
      const server = await serve({ onConnection: (ws) => ws.send(Buffer.alloc(limit + 1)) });
      closers.push(() => server.close());
      const { machine, log } = start(`${server.url}/`, { maxAttempts: 1, minUptime: 0 });
      let got = 0;
      machine.input$.subscribe(() => got++);
      await until(() => log.count((s) => s.state === State.DISCONNECTED) > 0, 10_000, 'DISCONNECTED');
      expect(log.all.find((s) => s.state === State.DISCONNECTED)?.error).to.include({ code: 1009 });
      expect(got).to.equal(0);
    });

    it('a server that trickles its upgrade response is cut off by connectTimeout', async () => {
      const server = await serve();
      const proxy = new FaultProxy(server.port);
      await proxy.listen();
      closers.push(
        () => server.close(),
        () => proxy.close(),
      );
      proxy.accept = 'trickle';
      proxy.trickleMs = 20; // a 129-byte answer would take 2.6 s
      const connectTimeout = 300;
      const before = performance.now(); // the connect timer starts inside the constructor
      const { machine, log } = start(`ws://127.0.0.1:${proxy.port}/`, { connectTimeout, maxAttempts: 1 });
      const error = await finalError(machine, log);
      expect(error).to.be.instanceOf(ConnectTimeoutError);
      expect(error).to.include({ timeout: connectTimeout });
      const took = (log.times[1] ?? 0) - before;
      expect(took).to.be.at.least(connectTimeout - 50); // timers run on the loop's clock, which lags under load
      expect(took).to.be.at.most(connectTimeout + 1000); // generous: a loaded machine; exact in virtual time
      expect(proxy.stats.bytesDown, 'the server was answering, slowly').to.be.within(1, 128);
      await until(() => proxy.links.size === 0, 5000, 'the socket to be closed');
    });

    it('a server that accepts the connection but never answers the upgrade is cut off by connectTimeout', async () => {
      const server = await serve();
      const proxy = new FaultProxy(server.port);
      await proxy.listen();
      closers.push(
        () => server.close(),
        () => proxy.close(),
      );
      proxy.accept = 'hang';
      const { machine, log } = start(`ws://127.0.0.1:${proxy.port}/`, { connectTimeout: 200, maxAttempts: 1 });
      expect(await finalError(machine, log)).to.be.instanceOf(ConnectTimeoutError);
      await until(() => proxy.links.size === 0, 5000, 'the socket to be closed');
    });

    describe('redirects', () => {
      let server: Served;
      let authorizationAtTarget: (string | undefined)[];
      let apiKeyAtTarget: (string | string[] | undefined)[];
      beforeEach(async () => {
        authorizationAtTarget = [];
        apiKeyAtTarget = [];
        server = await serve({
          onUpgrade: (req, socket) => {
            const path = req.url ?? '';
            if (path.startsWith('/new')) {
              authorizationAtTarget.push(req.headers.authorization);
              apiKeyAtTarget.push(req.headers['x-api-key']);
              return false; // ws accepts it
            }
            // /old → /new on the same host; /away → /new on another host name (localhost).
            const host = path.startsWith('/away') ? 'localhost' : '127.0.0.1';
            socket.end(`HTTP/1.1 302 Found\r\nLocation: ws://${host}:${server.port}/new\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
            return true;
          },
        });
        closers.push(() => server.close());
      });

      it('are not followed by default: UpgradeError with status 302', async () => {
        const { machine, log } = start(`${server.url}/old`, { maxAttempts: 1 });
        const error = await finalError(machine, log);
        expect(error).to.be.instanceOf(UpgradeError);
        expect(error).to.include({ status: 302 });
        expect(server.paths).to.deep.equal(['/old']);
      });

      it('are followed with followRedirects: true, keeping the headers on the same host', async () => {
        const { log } = start(`${server.url}/old`, { followRedirects: true, headers: { 'x-api-key': 'k' } });
        await until(() => log.last()?.state === State.CONNECTED, 5000, 'CONNECTED after the redirect');
        expect(server.paths).to.deep.equal(['/old', '/new']);
        expect(apiKeyAtTarget).to.deep.equal(['k']);
      });

      it('from wss: down to ws: are refused even with followRedirects: true', async () => {
        const tls = https.createServer({ cert: SERVER_CERT, key: SERVER_KEY });
        const secure = await serve({
          server: tls,
          onUpgrade: (_req, socket) => {
            socket.end(
              `HTTP/1.1 302 Found\r\nLocation: ws://127.0.0.1:${server.port}/new\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
            );
            return true;
          },
        });
        closers.push(() => secure.close());
        const { machine, log } = start(`wss://127.0.0.1:${secure.port}/old`, { followRedirects: true, maxAttempts: 1, tls: { ca: CA } });
        const error = await finalError(machine, log);
        expect(error).to.be.instanceOf(UpgradeError);
        expect(error.message).to.match(/down to unencrypted/);
        expect(server.paths).to.deep.equal([]);
      });

      it('followed to another host, they carry none of the headers given (Authorization, X-Api-Key …)', async () => {
        const headers = { authorization: `Bearer ${HEADER_SECRET}`, 'x-api-key': HEADER_SECRET };
        const { log } = start(`${server.url}/away`, { followRedirects: true, headers });
        await until(() => log.last()?.state === State.CONNECTED, 5000, 'CONNECTED after the redirect');
        expect(server.paths).to.deep.equal(['/away', '/new']);
        expect(authorizationAtTarget).to.deep.equal([undefined]);
        expect(apiKeyAtTarget).to.deep.equal([undefined]);
        const statuses: Status[] = log.all;
        expect(statuses.map((s) => s.state)).to.deep.equal([State.CONNECTING, State.CONNECTED]);
      });
    });
  });
});
