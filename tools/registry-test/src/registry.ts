import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Verdaccio 6.8 is the last that runs on Node 20 (6.10 wants 22); its node-fetch must be pinned to 2.7.0. */
export const VERDACCIO_VERSION = '6.8.0';

/**
 * The environment for npm in a fresh project: without the npm_* variables of the `npm test` that started us (they
 * carry the monorepo's prefix and config, and would make the fresh project part of the workspace).
 */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) && k !== 'INIT_CWD' && k !== 'NODE_OPTIONS') env[k] = v;
  return { ...env, ...extra };
}

export async function npm(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
  const { stdout } = await run('npm', args, { cwd, env: cleanEnv(env), maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/** Verdaccio installed once per machine into the user's cache (not a project dependency: it would bloat installs). */
export async function ensureVerdaccio(): Promise<string> {
  const base = path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'oidstream', `verdaccio-${VERDACCIO_VERSION}`);
  const bin = path.join(base, 'node_modules', 'verdaccio', 'bin', 'verdaccio');
  if (existsSync(bin)) return bin;
  const tmp = `${base}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const manifest = { name: 'oidstream-verdaccio', private: true, dependencies: { verdaccio: VERDACCIO_VERSION }, overrides: { 'node-fetch': '2.7.0' } };
  writeFileSync(path.join(tmp, 'package.json'), JSON.stringify(manifest, null, 2));
  await npm(['install', '--no-audit', '--no-fund', '--registry', 'https://registry.npmjs.org/'], tmp);
  rmSync(base, { recursive: true, force: true });
  renameSync(tmp, base);
  return bin;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface LocalRegistry {
  url: string;
  /** An npmrc with this registry and a publish token. */
  npmrc: string;
  stop(): Promise<void>;
}

function config(root: string, upstream: string): string {
  return `storage: ${root}/storage
auth:
  htpasswd:
    file: ${root}/htpasswd
    max_users: 10
uplinks:
  upstream:
    url: ${upstream}
    timeout: 60s
packages:
  '@oidstream/*':
    access: $all
    publish: $authenticated
  '**':
    access: $all
    publish: $authenticated
    proxy: upstream
max_body_size: 500mb
logs: { type: stdout, format: pretty, level: warn }
`;
}

/** Starts Verdaccio on 127.0.0.1 (a free port), with our scope local and everything else proxied to npm's registry. */
export async function startRegistry(root: string, upstream = 'https://registry.npmjs.org/'): Promise<LocalRegistry> {
  const bin = await ensureVerdaccio();
  mkdirSync(root, { recursive: true });
  writeFileSync(path.join(root, 'config.yaml'), config(root, upstream));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const child: ChildProcess = spawn(process.execPath, [bin, '--config', path.join(root, 'config.yaml'), '--listen', `127.0.0.1:${port}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout!.on('data', (d) => (log += d));
  child.stderr!.on('data', (d) => (log += d));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  };
  try {
    await waitForPing(url, child, () => log);
    const token = await addUser(url);
    const npmrc = path.join(root, 'npmrc');
    writeFileSync(npmrc, `registry=${url}\n//127.0.0.1:${port}/:_authToken=${token}\n`);
    return { url, npmrc, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function waitForPing(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`verdaccio exited (${child.exitCode}): ${log()}`);
    try {
      if ((await fetch(new URL('-/ping', url))).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`verdaccio did not answer within 60 s: ${log()}`);
}

/** npm's adduser call (CouchDB user document) → a token for publishing. */
async function addUser(url: string): Promise<string> {
  const name = 'oidstream-ci';
  const res = await fetch(new URL(`-/user/org.couchdb.user:${name}`, url), {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, password: 'oidstream-ci-password', type: 'user', roles: [], date: new Date().toISOString() }),
  });
  const body = (await res.json()) as { token?: string; error?: string };
  if (!res.ok || !body.token) throw new Error(`verdaccio adduser: ${res.status} ${body.error ?? ''}`);
  return body.token;
}
