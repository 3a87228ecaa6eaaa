/**
 * API.md "Node options": `agent` takes the upgrade request through an HTTP proxy (a real proxy
 * server from npm, `proxy`, with `https-proxy-agent` as the agent, all on 127.0.0.1), and
 * `compress: false` stops the offer of permessage-deflate.
 */
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { expect } from 'chai';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { createProxy } from 'proxy';
import WebSocket from 'ws';
import { Command, Machine, UpgradeError } from '../../lib/index.js';
import { Machine as BrowserMachine } from '../../lib/index.browser.js';
import { bytes, echo, onCleanup, start, useCleanup, wsServer } from './helpers.js';

interface TestProxy {
  readonly url: string;
  /** The target of every CONNECT the proxy was asked for (`host:port`). */
  readonly connects: string[];
  close(): Promise<void>;
}

/** An HTTP proxy (as a corporate one would be) on 127.0.0.1, port 0. */
async function httpProxy(): Promise<TestProxy> {
  const server: Server = createProxy(createServer());
  const connects: string[] = [];
  const sockets = new Set<Socket>();
  // Listened to beside the proxy's own handler, which does the tunnelling.
  server.on('connect', (req: { url?: string }) => connects.push(req.url ?? ''));
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  let closed: Promise<void> | undefined;
  const proxy: TestProxy = {
    url: `http://127.0.0.1:${port}`,
    connects,
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        // A tunnel is no longer an HTTP connection to the server: it has to be ended by hand.
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      })),
  };
  onCleanup(() => proxy.close());
  return proxy;
}

describe('integration: agent and compress (Node options)', function () {
  this.timeout(5000);
  useCleanup();

  it('agent: the machine connects through an HTTP proxy (CONNECT) and echoes text and binary', async () => {
    const server = await wsServer(echo);
    const proxy = await httpProxy();
    const rec = start(server.url, { agent: new HttpsProxyAgent(proxy.url), format: 'text' });
    await rec.nth('CONNECTED', 1, 3000);
    expect(proxy.connects).to.deep.equal([`127.0.0.1:${server.port}`]);
    rec.machine.output.next('through the proxy');
    rec.machine.command.next(Command.USE_BINARY);
    rec.machine.output.next(new Uint8Array([1, 2, 3]));
    await rec.received(2, 3000);
    expect(rec.input[0]).to.equal('through the proxy');
    expect(bytes(rec.input[1])).to.deep.equal([1, 2, 3]);
    // The server's peer is the proxy, not the machine: its request carries no proxy headers.
    const peer = await server.peer(1);
    expect(peer.req.headers).to.not.have.property('proxy-authorization');
  });

  it('agent: every reconnect goes through the proxy again', async () => {
    const server = await wsServer(echo);
    const proxy = await httpProxy();
    const rec = start(server.url, { agent: new HttpsProxyAgent(proxy.url), retryDelay: 0 });
    await rec.nth('CONNECTED', 1, 3000);
    (await server.peer(1)).socket.terminate();
    await rec.nth('CONNECTED', 2, 3000);
    expect(proxy.connects).to.deep.equal([`127.0.0.1:${server.port}`, `127.0.0.1:${server.port}`]);
  });

  it('agent: also given to a WebSocket constructor passed as an option (ws through the standard API)', async () => {
    const server = await wsServer(echo);
    const proxy = await httpProxy();
    const rec = start(server.url, { agent: new HttpsProxyAgent(proxy.url), WebSocket, format: 'text' });
    await rec.nth('CONNECTED', 1, 3000);
    expect(proxy.connects).to.have.length(1);
    rec.machine.output.next('hi');
    await rec.received(1, 3000);
    expect(rec.input).to.deep.equal(['hi']);
  });

  it('agent: a proxy that refuses the tunnel is a failed attempt, not a crash', async () => {
    const server = await wsServer(echo);
    const proxy = await httpProxy();
    // The proxy is asked for a port where nothing listens: it answers the CONNECT with an error.
    const refused = `ws://127.0.0.1:1/`;
    const rec = start(refused, { agent: new HttpsProxyAgent(proxy.url), retryDelay: 60_000 });
    await rec.nth('WAITING', 1, 3000);
    // https-proxy-agent hands the proxy's answer to the request, so ws sees it as the upgrade's response.
    expect(rec.lines().slice(0, 2)).to.deep.equal(['CONNECTING a=0', 'DISCONNECTED UpgradeError']);
    const error = rec.statuses[1]?.error as UpgradeError;
    expect(error).to.be.instanceOf(UpgradeError);
    expect(error.status).to.be.within(400, 599); // the proxy's status: shouldReconnect can read it
    expect(proxy.connects).to.deep.equal(['127.0.0.1:1']);
    expect(server.peers).to.have.length(0);
  });

  it('compress: offered by default; `false` leaves Sec-WebSocket-Extensions out of the upgrade request', async () => {
    const server = await wsServer(echo, { perMessageDeflate: true });
    start(server.url);
    const offered = (await server.peer(1)).req.headers['sec-websocket-extensions'];
    expect(offered)
      .to.be.a('string')
      .that.matches(/^permessage-deflate/);
    const rec = start(server.url, { compress: false, format: 'text' });
    const plain = await server.peer(2);
    expect(plain.req.headers).to.not.have.property('sec-websocket-extensions');
    // Uncompressed, the connection works as ever.
    rec.machine.output.next('plain');
    await rec.received(1, 3000);
    expect(rec.input).to.deep.equal(['plain']);
  });

  it('compress: false also reaches a WebSocket constructor passed as an option', async () => {
    const server = await wsServer(echo);
    start(server.url, { compress: false, WebSocket });
    const peer = await server.peer(1);
    expect(peer.req.headers).to.not.have.property('sec-websocket-extensions');
  });

  it('bad values throw a TypeError naming the option; agent in a browser is a TypeError', () => {
    expect(() => new Machine('ws://127.0.0.1:1/', { agent: 'http://proxy:3128' as never })).to.throw(
      TypeError,
      /^agent must be an http\.Agent, got (the )?string/,
    );
    expect(() => new Machine('ws://127.0.0.1:1/', { agent: null as never })).to.throw(TypeError, /^agent must be/);
    expect(() => new Machine('ws://127.0.0.1:1/', { compress: 'no' as never })).to.throw(
      TypeError,
      /^compress must be a boolean, got (the )?string "?no/,
    );
    const agent = new HttpsProxyAgent('http://127.0.0.1:1');
    expect(() => new BrowserMachine('ws://127.0.0.1:1/', { agent })).to.throw(TypeError, /^agent cannot be (used|set) (by|for) a browser/);
  });
});
