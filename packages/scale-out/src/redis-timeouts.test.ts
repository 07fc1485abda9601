import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs } from '@oidstream/test-needs';
import { checkRedis, waitForRedis, withRedis } from './redis-connect.js';
import { findRedisServer, startLocalRedis } from './redis-server.js';
import type { LocalRedis } from './redis-server.js';
import { openQueue } from './shard-queue.js';

/** A peer that accepts connections and never answers: a hung Redis, or a proxy in front of a dead one. */
async function startSilentServer(): Promise<{ url: (auth?: string) => string; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (auth = '') => `redis://${auth}127.0.0.1:${port}`,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

describe('a Redis that accepts connections but never answers', () => {
  let silent: Awaited<ReturnType<typeof startSilentServer>>;
  beforeAll(async () => {
    silent = await startSilentServer();
  });
  afterAll(async () => silent?.close());

  it('checkRedis gives up after the ready timeout with one line naming the URL, password masked', async () => {
    const started = Date.now();
    const err = (await checkRedis(silent.url(':s3cret@'), { readyTimeoutMs: 500 }).catch((e: unknown) => e)) as Error & { code?: string };
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(err.code).toBe('REDIS_TIMEOUT');
    expect(err.message).toContain(silent.url(':***@'));
    expect(err.message).not.toContain('s3cret');
    expect(err.message).not.toContain('\n');
  });

  it('waitForRedis is bounded by its wait, whatever the server does', async () => {
    const started = Date.now();
    await expect(waitForRedis(silent.url(), 1_500, undefined, { readyTimeoutMs: 400 })).rejects.toMatchObject({ code: 'REDIS_TIMEOUT' });
    expect(Date.now() - started).toBeLessThan(4_000);
  });
});

const reason = !findRedisServer() ? 'redis-server not installed (apt-get install -y redis-server)' : '';

describe.skipIf(needs(reason, !reason))(`a real Redis that stops answering mid-session${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let redis: LocalRedis;
  beforeAll(async () => {
    redis = await startLocalRedis();
  });
  afterAll(async () => redis?.dispose());

  it('queue commands fail after the command timeout (REDIS_TIMEOUT) instead of hanging, and work again after', async () => {
    const queue = openQueue(redis.url, 'stall', { commandTimeoutMs: 500 });
    try {
      await queue.add('shard', { n: 1 });
      const pid = redis.pid()!;
      process.kill(pid, 'SIGSTOP'); // the server process freezes: its socket stays open, nothing answers
      const started = Date.now();
      try {
        await expect(withRedis(redis.url, () => queue.getJobCounts('waiting'))).rejects.toMatchObject({
          code: 'REDIS_TIMEOUT',
          message: expect.stringContaining(`Redis at ${redis.url}`),
        });
        expect(Date.now() - started).toBeLessThan(3_000);
      } finally {
        process.kill(pid, 'SIGCONT');
      }
      expect(await queue.getJobCounts('waiting')).toMatchObject({ waiting: 1 });
    } finally {
      await queue.close();
    }
  });
});
