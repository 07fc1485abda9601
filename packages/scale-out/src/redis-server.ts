import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ScaleOutError } from './errors.js';

const run = promisify(execFile);

/** A throw-away redis-server on 127.0.0.1 (tests, benchmarks, local trials). */
export interface LocalRedis {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  /** Stop the server. `save: true` writes dump.rdb first, so a later start() restores the queue. */
  stop(options?: { save?: boolean }): Promise<void>;
  /** Start it again on the same port and directory (after stop()). */
  start(): Promise<void>;
  /** Stop (without saving) and delete its directory. */
  dispose(): Promise<void>;
  /** The server's process id while it runs (e.g. to SIGSTOP it in a stall test). */
  pid(): number | undefined;
}

/** The redis-server binary on PATH, or undefined. */
export function findRedisServer(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** TLS files for a server started with `tls`: the CA clients must trust, and the server's key pair. */
export interface LocalRedisTls {
  ca: string;
  cert: string;
  key: string;
}

function cliArgs(port: number, o: { password?: string; tls?: LocalRedisTls }): string[] {
  const args = ['-h', '127.0.0.1', '-p', String(port)];
  if (o.password) args.push('--no-auth-warning', '-a', o.password);
  if (o.tls) args.push('--tls', '--cacert', o.tls.ca);
  return args;
}

async function ping(args: string[]): Promise<boolean> {
  try {
    const { stdout } = await run('redis-cli', [...args, 'ping']);
    return stdout.trim() === 'PONG';
  } catch {
    return false;
  }
}

/** A throw-away CA and a server certificate for 127.0.0.1 (openssl CLI), for TLS tests. */
export async function makeTestTls(dir: string): Promise<LocalRedisTls> {
  const f = (n: string) => path.join(dir, n);
  const ssl = (...a: string[]) => run('openssl', a);
  await ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=oidstream test CA', '-keyout', f('ca.key'), '-out', f('ca.pem'));
  await ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', f('server.key'), '-out', f('server.csr'));
  writeFileSync(f('san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await ssl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', f('san.ext'), '-out', f('server.pem'));
  return { ca: f('ca.pem'), cert: f('server.pem'), key: f('server.key') };
}

async function waitFor(check: () => Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * Start redis-server daemonized on a free loopback port, persistence off (`--save '' --appendonly no`).
 * Snapshots happen only on an explicit `stop({ save: true })`, which the restart test uses.
 */
export async function startLocalRedis(options: { port?: number; password?: string; tls?: LocalRedisTls } = {}): Promise<LocalRedis> {
  if (!findRedisServer()) {
    throw new ScaleOutError('REDIS_SERVER_MISSING', 'redis-server is not installed (Debian: apt-get install -y redis-server)');
  }
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(path.join(os.tmpdir(), 'oidstream-redis-'));
  const pidfile = path.join(dir, 'redis.pid');
  const start = async () => {
    const args = [
      '--bind', '127.0.0.1', '--daemonize', 'yes', '--pidfile', pidfile,
      '--dir', dir, '--save', '', '--appendonly', 'no', '--logfile', path.join(dir, 'redis.log'),
    ];
    if (options.tls) {
      args.push('--port', '0', '--tls-port', String(port), '--tls-cert-file', options.tls.cert, '--tls-key-file', options.tls.key,
        '--tls-ca-cert-file', options.tls.ca, '--tls-auth-clients', 'no');
    } else args.push('--port', String(port));
    if (options.password) args.push('--requirepass', options.password);
    await run('redis-server', args);
    await waitFor(() => ping(cliArgs(port, options)), `redis-server on port ${port}`);
  };
  const stop = async ({ save = false } = {}) => {
    const pid = readPid(pidfile);
    await run('redis-cli', [...cliArgs(port, options), 'shutdown', save ? 'save' : 'nosave']).catch(() => undefined);
    await waitFor(async () => pid === undefined || !alive(pid), `redis-server ${pid} to exit`);
  };
  await start();
  return {
    port,
    url: `${options.tls ? 'rediss' : 'redis'}://${options.password ? `:${encodeURIComponent(options.password)}@` : ''}127.0.0.1:${port}`,
    dir,
    stop,
    start,
    dispose: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
    pid: () => readPid(pidfile),
  };
}

function readPid(pidfile: string): number | undefined {
  try {
    return Number(readFileSync(pidfile, 'utf8').trim()) || undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
