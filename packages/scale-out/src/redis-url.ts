import { readFileSync } from 'node:fs';
import net from 'node:net';
import type { RedisOptions } from 'ioredis';
import { ScaleOutError } from './errors.js';

/** Loopback by default: a queue must never be exposed on a public interface by accident. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
export const REDIS_URL_ENV = 'OIDSTREAM_REDIS_URL';
/** PEM file of a private CA that signed the Redis server's TLS certificate (rediss:// URLs). */
export const REDIS_CA_ENV = 'OIDSTREAM_REDIS_CA';

/** The Redis URL to use: the flag, else $OIDSTREAM_REDIS_URL, else the loopback default. */
export function resolveRedisUrl(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  const url = flag?.trim() || env[REDIS_URL_ENV]?.trim() || DEFAULT_REDIS_URL;
  parseRedisUrl(url); // validate early, with a coded error
  return url;
}

/**
 * ioredis options for `redis://[user:password@]host[:port][/db]` or `rediss://…` (TLS, certificate checked against
 * the host; a private CA from $OIDSTREAM_REDIS_CA or NODE_EXTRA_CA_CERTS). BullMQ needs `maxRetriesPerRequest: null`
 * so blocking calls survive a Redis restart instead of failing after 20 retries.
 */
export function parseRedisUrl(url: string, env: NodeJS.ProcessEnv = process.env): RedisOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ScaleOutError('BAD_REDIS_URL', `not a Redis URL: ${JSON.stringify(url)} (expected redis://host:port or rediss://…)`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new ScaleOutError('BAD_REDIS_URL', `Redis URL must start with redis:// or rediss://, got ${u.protocol}//`);
  }
  if (!u.hostname) throw new ScaleOutError('BAD_REDIS_URL', `Redis URL has no host: ${redactRedisUrl(url)}`);
  const port = u.port ? Number(u.port) : 6379;
  const dbText = u.pathname.replace(/^\//, '');
  if (dbText !== '' && !/^\d+$/.test(dbText)) {
    throw new ScaleOutError('BAD_REDIS_URL', `Redis database must be a number, got "/${dbText}"`);
  }
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const options: RedisOptions = {
    host,
    port,
    db: dbText === '' ? 0 : Number(dbText),
    maxRetriesPerRequest: null,
    // reconnect forever, backing off to 2 s: a restarted Redis is picked up again
    retryStrategy: (times) => Math.min(100 * times, 2000),
  };
  if (u.username) options.username = decodeURIComponent(u.username);
  if (u.password) options.password = decodeURIComponent(u.password);
  if (u.protocol === 'rediss:') {
    options.tls = net.isIP(host) ? {} : { servername: host }; // SNI takes names only
    const caFile = env[REDIS_CA_ENV];
    if (caFile) {
      try {
        options.tls.ca = readFileSync(caFile);
      } catch (err) {
        throw new ScaleOutError('BAD_REDIS_URL', `$${REDIS_CA_ENV}: cannot read ${caFile}: ${(err as Error).message}`);
      }
    }
  }
  return options;
}

/** The URL with its password replaced by `***`, for logs and status output. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<invalid url>';
  }
}
