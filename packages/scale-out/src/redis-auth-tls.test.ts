import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { needs } from '@oidstream/test-needs';
import { parseRedisUrl } from './redis-url.js';
import { findRedisServer, makeTestTls, startLocalRedis } from './redis-server.js';
import type { LocalRedis } from './redis-server.js';
import { checkRedis } from './redis-connect.js';
import { openQueue } from './shard-queue.js';

const hasOpenssl = (() => {
  try {
    execFileSync('openssl', ['version']);
    return true;
  } catch {
    return false;
  }
})();
const reason = !findRedisServer() ? 'redis-server not installed (apt-get install -y redis-server)' : '';

describe.skipIf(needs(reason, !reason))(`Redis URLs with a password and TLS against a real server${reason ? ` (skipped: ${reason})` : ''}`, () => {
  const servers: LocalRedis[] = [];
  const dirs: string[] = [];
  afterAll(async () => {
    for (const s of servers) await s.dispose();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('redis://:password@host: the queue works; a wrong or missing password is a one-line REDIS_AUTH error without the password', async () => {
    const redis = await startLocalRedis({ password: 'p@ss w0rd' });
    servers.push(redis);
    expect(redis.url).toContain(':p%40ss%20w0rd@');
    await checkRedis(redis.url);
    const queue = openQueue(redis.url, 'auth');
    await queue.add('shard', { n: 1 });
    expect(await queue.getJobCounts('waiting')).toMatchObject({ waiting: 1 });
    await queue.close();
    const wrong = redis.url.replace('p%40ss', 'nope');
    const err = await checkRedis(wrong, 2000).catch((e: unknown) => e as Error & { code?: string });
    expect(err).toMatchObject({ code: 'REDIS_AUTH', message: expect.stringContaining('refused authentication') });
    expect((err as Error).message).not.toContain('nope');
    expect((err as Error).message).not.toContain('\n');
    // no password at all against a server that wants one
    const none = await checkRedis(redis.url.replace(/:[^:@/]*@/, '@'), 2000).catch((e: unknown) => e);
    expect(none).toMatchObject({ code: 'REDIS_AUTH' });
    expect((err as Error).message).toContain('***');
  });

  it.skipIf(needs('openssl', hasOpenssl))('rediss:// with a private CA ($OIDSTREAM_REDIS_CA); an untrusted certificate is refused', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'oidstream-tls-'));
    dirs.push(dir);
    const tls = await makeTestTls(dir);
    const redis = await startLocalRedis({ tls });
    servers.push(redis);
    expect(redis.url.startsWith('rediss://')).toBe(true);
    const env = { OIDSTREAM_REDIS_CA: tls.ca };
    expect(parseRedisUrl(redis.url, env).tls?.ca).toBeDefined();
    await expect(checkRedis(redis.url, 3000)).rejects.toMatchObject({ code: 'REDIS_UNREACHABLE' }); // CA not trusted
    const before = process.env.OIDSTREAM_REDIS_CA;
    process.env.OIDSTREAM_REDIS_CA = tls.ca;
    try {
      await checkRedis(redis.url);
      const queue = openQueue(redis.url, 'tls');
      await queue.add('shard', { n: 1 });
      expect(await queue.getJobCounts('waiting')).toMatchObject({ waiting: 1 });
      await queue.close();
    } finally {
      if (before === undefined) delete process.env.OIDSTREAM_REDIS_CA;
      else process.env.OIDSTREAM_REDIS_CA = before;
    }
  });
});
