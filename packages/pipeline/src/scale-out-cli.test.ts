import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { needs } from '@oidstream/test-needs';
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { findRedisServer, freePort, startLocalRedis } from '@oidstream/scale-out';
import { main } from './cli.js';

/** Run the CLI in this process; returns the exit code and what it printed on stderr. */
async function run(...args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    return { code: await main(['node', 'oidstream', ...args]), stderr };
  } finally {
    spy.mockRestore();
  }
}

describe('scale-out commands: user mistakes are one coded line', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'oidstream-scale-cli-'));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('a bad Redis URL', async () => {
    const r = await run('worker', '--redis', 'http://example.com:6379');
    expect(r).toEqual({ code: 2, stderr: 'oidstream: Redis URL must start with redis:// or rediss://, got http:// [BAD_REDIS_URL]\n' });
  });

  it('Redis not reachable: said before any selection work, password hidden', async () => {
    const port = await freePort();
    const r = await run('enqueue', '--data', tmp, '--out', path.join(tmp, 'o'), '--redis', `redis://:hunter2@127.0.0.1:${port}`);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^oidstream: cannot reach Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port}.*\\[REDIS_UNREACHABLE\\]\\n$`));
    expect(r.stderr).not.toContain('hunter2');
  });

  it('a worker waits for Redis to come up, then gives up with the reason', async () => {
    const port = await freePort();
    const t0 = Date.now();
    const r = await run('worker', '--redis', `redis://127.0.0.1:${port}`, '--wait-for-redis', '1500');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('waiting up to 1.5 s');
    expect(r.stderr).toContain('[REDIS_UNREACHABLE]');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
  });

  it('enqueue without a data dir or a selection; bad shard options', async () => {
    expect((await run('enqueue', '--out', tmp)).stderr).toContain('[BAD_OPTION]');
    expect((await run('enqueue', '--data', tmp, '--out', tmp, '--shards', '0')).stderr).toContain('--shards must be a positive integer');
    expect((await run('worker', '--concurrency', 'two')).stderr).toContain('[BAD_SHARD]');
  });

  it('merge and status of a directory that holds no sharded run', async () => {
    const merge = await run('merge', '--out', tmp);
    expect(merge.code).toBe(2);
    expect(merge.stderr).toContain('[NO_PLAN]');
    expect((await run('status', '--out', tmp)).stderr).toContain('[NO_PLAN]');
  });
});

describe('issue 13: a silent Redis, a wrong password and a locked OUT end in one line, in bounded time', () => {
  let tmp: string;
  let silent: net.Server;
  let port: number;
  const sockets = new Set<net.Socket>();
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'oidstream-scale-13-'));
    // accepts connections and never answers
    silent = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    port = (silent.address() as AddressInfo).port;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => silent.close(resolve));
    await rm(tmp, { recursive: true, force: true });
  });

  for (const [name, args] of [
    ['enqueue', ['enqueue', '--data', '/nonexistent', '--out', '/nonexistent/out']],
    ['worker', ['worker', '--wait-for-redis', '1000']],
    ['status', ['status']],
  ] as const) {
    it(`${name} against a Redis that never answers: REDIS_TIMEOUT naming the URL, password masked`, async () => {
      const t0 = Date.now();
      const r = await run(...args, '--redis', `redis://:hunter2@127.0.0.1:${port}`, '--redis-timeout', '500');
      expect(Date.now() - t0).toBeLessThan(5_000);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n').at(-1)).toMatch(new RegExp(`^oidstream: (worker: )?Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port} did not answer in time .*\\[REDIS_TIMEOUT\\]$`));
      expect(r.stderr).not.toContain('hunter2');
    });
  }

  it.skipIf(needs('redis-server (apt-get install -y redis-server)', !!findRedisServer()))('a wrong password says "authentication" (REDIS_AUTH), for enqueue and status', async () => {
    const redis = await startLocalRedis({ password: 'right' });
    try {
      const wrong = redis.url.replace(':right@', ':wrong@');
      for (const args of [['status'], ['enqueue', '--data', tmp, '--out', path.join(tmp, 'o')]]) {
        const r = await run(...args, '--redis', wrong);
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(/^oidstream: Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ refused authentication: .*\[REDIS_AUTH\]\n$/);
        expect(r.stderr).not.toContain('wrong');
      }
    } finally {
      await redis.dispose();
    }
  });

  it('merge refuses while another live process holds OUT', async () => {
    const out = path.join(tmp, 'held');
    mkdirSync(out, { recursive: true });
    writeFileSync(path.join(out, '.oidstream.lock'), JSON.stringify({ pid: process.pid, host: os.hostname(), started: new Date().toISOString(), command: 'run' }));
    const r = await run('merge', '--out', out);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^oidstream: .*held is in use by run \\(pid ${process.pid} on .*\\[LOCKED\\]\\n$`));
  });
});

