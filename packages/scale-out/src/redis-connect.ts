import { Redis } from 'ioredis';
import type { RedisOptions } from 'ioredis';
import { ScaleOutError } from './errors.js';
import { parseRedisUrl, redactRedisUrl } from './redis-url.js';
import { REDIS_TIMEOUT_DEFAULTS, type RedisTimeouts } from './options.js';

export function resolveRedisTimeouts(timeouts: RedisTimeouts = {}): Required<RedisTimeouts> {
  const o = { ...REDIS_TIMEOUT_DEFAULTS };
  for (const key of Object.keys(o) as Array<keyof RedisTimeouts>) {
    const v = timeouts[key];
    if (v === undefined) continue;
    if (!Number.isInteger(v) || v < 1) throw new ScaleOutError('BAD_OPTION', `${key} must be a positive integer (ms), got ${v}`);
    o[key] = v;
  }
  return o;
}

/**
 * ioredis options for short-lived clients (enqueue, status, merge, the queue side of a worker): connect and command
 * timeouts, and commands fail at once while disconnected instead of waiting in ioredis' offline queue.
 */
export function queueConnection(url: string, timeouts: RedisTimeouts = {}): RedisOptions {
  const t = resolveRedisTimeouts(timeouts);
  return { ...parseRedisUrl(url), connectTimeout: t.connectTimeoutMs, commandTimeout: t.commandTimeoutMs, enableOfflineQueue: false };
}

class ReadyTimeout extends Error {}

const AUTH_ERROR = /WRONGPASS|NOAUTH|invalid username-password|invalid password|AUTH failed|NOPERM/i;

/** One line naming the URL (password masked) and what went wrong, with a code: REDIS_AUTH, REDIS_TIMEOUT or REDIS_UNREACHABLE. */
export function redisError(url: string, err: unknown, seen?: Error): ScaleOutError {
  if (err instanceof ScaleOutError) return err;
  const where = redactRedisUrl(url);
  const messages = [err instanceof Error ? err.message : String(err), seen?.message].filter((m): m is string => !!m);
  const auth = messages.find((m) => AUTH_ERROR.test(m));
  if (auth) return new ScaleOutError('REDIS_AUTH', `Redis at ${where} refused authentication: check the user and password in the URL (${auth.split('\n')[0]})`, { cause: err });
  if (err instanceof ReadyTimeout || messages.some((m) => /timed? ?out|ETIMEDOUT/i.test(m))) {
    return new ScaleOutError('REDIS_TIMEOUT', `Redis at ${where} did not answer in time (${messages[0]}): is it overloaded, or is something else listening there?`, { cause: err });
  }
  return new ScaleOutError('REDIS_UNREACHABLE', `cannot reach Redis at ${where}: ${messages.join('; ')}`, { cause: err });
}

/** Ping Redis once within the ready timeout; a coded one-line error (password masked) when that fails. */
export async function checkRedis(url: string, timeouts: RedisTimeouts | number = {}): Promise<void> {
  const t = resolveRedisTimeouts(typeof timeouts === 'number' ? { connectTimeoutMs: timeouts, readyTimeoutMs: timeouts, commandTimeoutMs: timeouts } : timeouts);
  const client = new Redis({
    ...parseRedisUrl(url),
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: t.connectTimeoutMs,
    commandTimeout: t.commandTimeoutMs,
    enableOfflineQueue: false,
  });
  let seen: Error | undefined;
  client.on('error', (err: Error) => (seen ??= err));
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ReadyTimeout(`no answer within ${t.readyTimeoutMs} ms`)), t.readyTimeoutMs);
  });
  try {
    await Promise.race([client.connect().then(() => client.ping()), deadline]);
  } catch (err) {
    throw redisError(url, err, seen);
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}

/**
 * Wait until Redis answers (workers may start before it, e.g. in a fresh cluster), trying every second for up to
 * `waitMs`; then the coded error of the last try. A wrong password is not waited out.
 */
export async function waitForRedis(url: string, waitMs: number, onRetry?: (err: Error) => void, timeouts: RedisTimeouts = {}): Promise<void> {
  const t = resolveRedisTimeouts(timeouts);
  const until = Date.now() + waitMs;
  for (;;) {
    const left = Math.max(500, until - Date.now());
    try {
      return await checkRedis(url, { ...t, readyTimeoutMs: Math.min(t.readyTimeoutMs, left), connectTimeoutMs: Math.min(t.connectTimeoutMs, left) });
    } catch (err) {
      if ((err as ScaleOutError).code === 'REDIS_AUTH' || Date.now() + 1_000 > until) throw err;
      onRetry?.(err as Error);
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
}

/** Runs `work` (queue commands) and turns its Redis failures into the same coded one-line errors. */
export async function withRedis<T>(url: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof ScaleOutError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    if (/Command timed out|Connection is closed|Stream isn't writeable|ECONNREFUSED|ECONNRESET|ETIMEDOUT|WRONGPASS|NOAUTH/.test(message)) throw redisError(url, err);
    throw err;
  }
}
