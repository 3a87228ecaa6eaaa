// A fault-injecting TCP proxy on node:net, for tests. It sits between a client and a server on
// 127.0.0.1 and, under the test's control, does to the bytes what real networks and servers do:
//
//   blackhole  stop forwarding in both directions, keep both sockets open (a half-open connection)
//   latency    delay every chunk by N ms in each direction (order kept)
//   reset      destroy both sockets with a TCP RST
//   cut        forward the first half of the next chunk in one direction, then destroy both sides
//   accept     what happens to new connections: 'forward', 'hang' (accept, never connect upstream,
//              so the upgrade is never answered), 'trickle' (forward, but the server's bytes reach
//              the client one at a time, `trickleMs` apart), 'reset' (RST at once)
//   idle cut   `idleTimeout` ms without a byte in either direction ends both sides, as nginx
//              (proxy_read_timeout on a WebSocket) and haproxy (timeout tunnel) do to idle tunnels
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export type Direction = 'up' | 'down';
export type AcceptMode = 'forward' | 'hang' | 'trickle' | 'reset';

export interface ProxyStats {
  connections: number;
  resets: number;
  blackholes: number;
  cuts: number;
  hung: number;
  trickled: number;
  refused: number;
  /** Links ended by the idle cut. */
  idleCuts: number;
  bytesUp: number;
  bytesDown: number;
}

/** A FIFO of writes due at given times, run by one timer: chunks leave in the order they came. */
class Lane {
  private readonly items: { due: number; run: () => void }[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** The due time of the last item pushed. */
  tail = 0;

  push(due: number, run: () => void): void {
    this.tail = Math.max(due, this.tail);
    this.items.push({ due: this.tail, run });
    if (this.timer === undefined) this.pump();
  }

  get pending(): number {
    return this.items.length;
  }

  clear(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.items.length = 0;
  }

  private pump(): void {
    this.timer = undefined;
    const now = performance.now();
    while (this.items.length > 0 && (this.items[0]?.due ?? 0) <= now + 0.5) this.items.shift()?.run();
    const next = this.items[0];
    if (next !== undefined) this.timer = setTimeout(() => this.pump(), Math.max(1, next.due - now));
  }
}

/** One proxied connection: the client's socket and, unless hung, the one to the server. */
export class ProxyLink {
  /** The request path of the upgrade, read from the client's first bytes ('' until then). */
  path = '';
  blackholed = false;
  /** The direction whose next chunk is cut in half. */
  cut: Direction | undefined;
  /** performance.now() of the last bytes written to the client. */
  lastDownAt = 0;
  /** Bytes written to the client. */
  bytesDown = 0;
  closed = false;
  /** performance.now() of the last bytes that reached the proxy from either side. */
  lastActiveAt = performance.now();
  /** The idle cut's timer, when the proxy has an `idleTimeout`. */
  idleTimer: NodeJS.Timeout | undefined;
  readonly lanes = { up: new Lane(), down: new Lane() };

  constructor(
    readonly client: net.Socket,
    readonly upstream: net.Socket | undefined,
    readonly trickle: boolean,
  ) {}
}

export class FaultProxy {
  /** What happens to new connections. */
  accept: AcceptMode = 'forward';
  /** ms added to every chunk in each direction. */
  latency = 0;
  /** ms between bytes in 'trickle' mode. */
  trickleMs = 20;
  /** ms without a byte in either direction after which a link is cut; 0 for never. Read when a link opens. */
  idleTimeout = 0;
  readonly links = new Set<ProxyLink>();
  readonly stats: ProxyStats = {
    connections: 0,
    resets: 0,
    blackholes: 0,
    cuts: 0,
    hung: 0,
    trickled: 0,
    refused: 0,
    idleCuts: 0,
    bytesUp: 0,
    bytesDown: 0,
  };
  private readonly server: net.Server;
  private listening = false;

  constructor(
    private readonly targetPort: number,
    private readonly targetHost = '127.0.0.1',
  ) {
    this.server = net.createServer((client) => this.onConnection(client));
  }

  /** Starts listening on 127.0.0.1, port 0; resolves with the port. */
  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.listening = true;
    return this.port;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** The open links whose upgrade asked for `path`. */
  linksTo(path: string): ProxyLink[] {
    return [...this.links].filter((link) => link.path === path && !link.closed);
  }

  /** Stops forwarding on `link` (every open link without one); both sockets stay open. */
  blackhole(link?: ProxyLink): void {
    for (const l of link ? [link] : [...this.links]) {
      if (l.closed || l.blackholed) continue;
      l.blackholed = true;
      l.lanes.up.clear();
      l.lanes.down.clear();
      this.stats.blackholes++;
    }
  }

  /** Destroys both sides of `link` (every open link without one) with a TCP RST. */
  reset(link?: ProxyLink): void {
    for (const l of link ? [link] : [...this.links]) {
      if (l.closed) continue;
      this.stats.resets++;
      this.destroy(l, true);
    }
  }

  /** The next chunk going `direction` on `link` is cut in half: its first half goes, then both sides die. */
  cutNext(link: ProxyLink, direction: Direction): void {
    if (!link.closed) link.cut = direction;
  }

  /** Ends every link and stops listening. */
  async close(): Promise<void> {
    for (const link of [...this.links]) this.destroy(link, false);
    if (!this.listening) return;
    this.listening = false;
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private onConnection(client: net.Socket): void {
    this.stats.connections++;
    client.on('error', () => undefined);
    const mode = this.accept;
    if (mode === 'reset') {
      this.stats.refused++;
      client.resetAndDestroy();
      return;
    }
    let upstream: net.Socket | undefined;
    if (mode === 'hang') {
      this.stats.hung++;
    } else {
      upstream = net.connect(this.targetPort, this.targetHost);
      upstream.setNoDelay(true);
      if (mode === 'trickle') this.stats.trickled++;
    }
    client.setNoDelay(true);
    const link = new ProxyLink(client, upstream, mode === 'trickle');
    this.links.add(link);
    if (this.idleTimeout > 0) this.watchIdle(link, this.idleTimeout);

    client.on('data', (chunk: Buffer) => {
      if (link.path === '') link.path = /^[A-Z]+ (\S+) HTTP/.exec(chunk.toString('latin1', 0, 512))?.[1] ?? '?';
      this.forward(link, 'up', chunk);
    });
    client.on('end', () => this.forwardEnd(link, 'up'));
    client.on('close', () => this.closeSide(link, 'up'));
    if (upstream !== undefined) {
      upstream.on('error', () => undefined);
      upstream.on('data', (chunk: Buffer) => this.forward(link, 'down', chunk));
      upstream.on('end', () => this.forwardEnd(link, 'down'));
      upstream.on('close', () => this.closeSide(link, 'down'));
    }
  }

  /**
   * One timer per link, re-armed for the time left when bytes came meanwhile (not one per chunk).
   * The cut ends both sides with a FIN and no close frame, as those proxies do.
   */
  private watchIdle(link: ProxyLink, timeout: number): void {
    const check = (): void => {
      if (link.closed) return;
      const left = link.lastActiveAt + timeout - performance.now();
      if (left > 0) {
        link.idleTimer = setTimeout(check, Math.max(1, left));
        return;
      }
      this.stats.idleCuts++;
      this.destroy(link, false);
    };
    link.idleTimer = setTimeout(check, timeout);
  }

  private forward(link: ProxyLink, direction: Direction, chunk: Buffer): void {
    link.lastActiveAt = performance.now();
    if (link.closed || link.blackholed || link.upstream === undefined) return;
    const lane = link.lanes[direction];
    const now = performance.now();
    if (direction === 'down' && link.trickle) {
      for (let i = 0; i < chunk.length; i++) {
        const byte = chunk.subarray(i, i + 1);
        lane.push(Math.max(now, lane.tail) + this.trickleMs, () => this.write(link, direction, byte));
      }
      return;
    }
    lane.push(now + this.latency, () => this.write(link, direction, chunk));
  }

  private write(link: ProxyLink, direction: Direction, chunk: Buffer): void {
    if (link.closed || link.blackholed) return;
    const target = direction === 'up' ? link.upstream : link.client;
    if (target === undefined || target.destroyed) return;
    if (link.cut === direction && chunk.length >= 2) {
      link.cut = undefined;
      this.stats.cuts++;
      const half = chunk.subarray(0, chunk.length >> 1);
      link.closed = true; // nothing more crosses this link
      link.lanes.up.clear();
      link.lanes.down.clear();
      this.count(link, direction, half.length);
      target.write(half, () => this.destroy(link, false));
      return;
    }
    this.count(link, direction, chunk.length);
    target.write(chunk);
  }

  private count(link: ProxyLink, direction: Direction, bytes: number): void {
    if (direction === 'up') {
      this.stats.bytesUp += bytes;
    } else {
      this.stats.bytesDown += bytes;
      link.bytesDown += bytes;
      link.lastDownAt = performance.now();
    }
  }

  /** A FIN from one side reaches the other after the data before it (not through a blackhole). */
  private forwardEnd(link: ProxyLink, direction: Direction): void {
    if (link.closed || link.blackholed) return;
    const target = direction === 'up' ? link.upstream : link.client;
    link.lanes[direction].push(performance.now() + this.latency, () => target?.end());
  }

  /** One side is gone: the other goes too, once what was on its way to it has been written. */
  private closeSide(link: ProxyLink, direction: Direction): void {
    if (link.closed) {
      this.release(link);
      return;
    }
    const lane = link.lanes[direction];
    if (link.blackholed || lane.pending === 0) this.destroy(link, false);
    else lane.push(performance.now(), () => this.destroy(link, false));
  }

  private destroy(link: ProxyLink, reset: boolean): void {
    link.closed = true;
    clearTimeout(link.idleTimer);
    link.lanes.up.clear();
    link.lanes.down.clear();
    for (const socket of [link.client, link.upstream]) {
      if (socket === undefined || socket.destroyed) continue;
      if (reset) socket.resetAndDestroy();
      else socket.destroy();
    }
    this.release(link);
  }

  private release(link: ProxyLink): void {
    if (link.client.destroyed && (link.upstream?.destroyed ?? true)) this.links.delete(link);
  }
}
