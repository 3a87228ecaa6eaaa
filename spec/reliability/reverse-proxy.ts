// Real reverse proxies for the reliability suite: Debian's nginx and haproxy, each in a process of
// its own on 127.0.0.1, passing WebSocket upgrades to a local server, on a plain port and on a TLS
// port it terminates (with the fixtures' certificate for 127.0.0.1). Both cut a tunnel that is
// idle for `idleMs`, as deployments do (nginx: proxy_read_timeout; haproxy: timeout tunnel).
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type ProxyKind = 'nginx' | 'haproxy';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** The proxy's binary: `NGINX_PATH` / `HAPROXY_PATH`, else the first on PATH or in /usr/sbin. */
export function findProxy(kind: ProxyKind): string | undefined {
  const override = process.env[kind === 'nginx' ? 'NGINX_PATH' : 'HAPROXY_PATH'];
  if (override) return override;
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const file = join(dir, kind);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** A port that was free a moment ago: the proxies take their ports from a config file, not port 0. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

function nginxConfig(dir: string, upstream: number, port: number, tlsPort: number, idleMs: number): string {
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((name) => `${name}_temp_path ${dir};`).join(' ');
  return `
# One process, in the foreground, everything under ${dir}.
daemon off;
master_process off;
pid ${dir}/nginx.pid;
error_log stderr warn;
events { worker_connections 256; }
http {
  access_log off;
  ${temp}
  map $http_upgrade $connection_upgrade { default upgrade; '' close; }
  server {
    listen 127.0.0.1:${port};
    listen 127.0.0.1:${tlsPort} ssl;
    ssl_certificate ${FIXTURES}server.pem;
    ssl_certificate_key ${FIXTURES}server-key.pem;
    location / {
      proxy_pass http://127.0.0.1:${upstream};
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_read_timeout ${idleMs}ms;
      proxy_send_timeout ${idleMs}ms;
    }
  }
}
`;
}

function haproxyConfig(dir: string, upstream: number, port: number, tlsPort: number, idleMs: number): string {
  // haproxy wants the certificate and its key in one file.
  const pem = join(dir, 'server.pem');
  writeFileSync(pem, readFileSync(join(FIXTURES, 'server.pem'), 'utf8') + readFileSync(join(FIXTURES, 'server-key.pem'), 'utf8'));
  return `
defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  timeout tunnel ${idleMs}ms
frontend front
  bind 127.0.0.1:${port}
  bind 127.0.0.1:${tlsPort} ssl crt ${pem}
  default_backend back
backend back
  server upstream 127.0.0.1:${upstream}
`;
}

/** A running reverse proxy in front of `upstream`. */
export class ReverseProxy {
  private child: ChildProcess | undefined;
  private stderr = '';

  private constructor(
    readonly kind: ProxyKind,
    private readonly bin: string,
    private readonly dir: string,
    private readonly config: string,
    /** Plain WebSocket port. */
    readonly port: number,
    /** TLS port (the proxy terminates TLS). */
    readonly tlsPort: number,
  ) {}

  /** Starts `kind` in front of 127.0.0.1:`upstream`; tries other ports if one was taken meanwhile. */
  static async start(kind: ProxyKind, bin: string, upstream: number, idleMs: number): Promise<ReverseProxy> {
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const dir = mkdtempSync(join(tmpdir(), `ws-machine-${kind}-`));
      const [port, tlsPort] = [await freePort(), await freePort()];
      const text = (kind === 'nginx' ? nginxConfig : haproxyConfig)(dir, upstream, port, tlsPort, idleMs);
      const config = join(dir, kind === 'nginx' ? 'nginx.conf' : 'haproxy.cfg');
      writeFileSync(config, text);
      const proxy = new ReverseProxy(kind, bin, dir, config, port, tlsPort);
      try {
        await proxy.restart();
        return proxy;
      } catch (error) {
        lastError = error;
        await proxy.stop();
      }
    }
    throw lastError;
  }

  /**
   * Starts the process: first from `start`, then again on the same ports after `crash`. Resolves
   * once both ports accept connections.
   */
  async restart(): Promise<void> {
    this.stderr = '';
    // nginx: -e keeps its start-up messages away from /var/log; -p roots its relative paths.
    const args = this.kind === 'nginx' ? ['-e', 'stderr', '-p', this.dir, '-c', this.config] : ['-db', '-f', this.config];
    const child = spawn(this.bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    const status = { exited: false };
    child.on('exit', () => (status.exited = true));
    child.on('error', (error) => {
      status.exited = true;
      this.stderr += error.message;
    });
    const deadline = Date.now() + 5000;
    while (!(await accepts(this.port)) || !(await accepts(this.tlsPort))) {
      if (status.exited || Date.now() > deadline) {
        throw new Error(`${this.kind} did not start on ports ${this.port} and ${this.tlsPort}: ${this.stderr.trim() || 'no output'}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Kills the process at once (SIGKILL): every tunnel through it dies without a close frame. */
  crash(): Promise<void> {
    return this.end('SIGKILL');
  }

  /** Ends the process and removes its files. */
  async stop(): Promise<void> {
    await this.end('SIGTERM');
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async end(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child === undefined) return;
    if (child.exitCode !== null || child.signalCode !== null) return; // gone already
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    const late = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(late);
  }
}
