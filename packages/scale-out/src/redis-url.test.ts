import { describe, expect, it } from 'vitest';
import { DEFAULT_REDIS_URL, parseRedisUrl, redactRedisUrl, resolveRedisUrl } from './redis-url.js';

describe('redis-url', () => {
  it('takes the flag, else $OIDSTREAM_REDIS_URL, else loopback', () => {
    expect(resolveRedisUrl('redis://q:1', { OIDSTREAM_REDIS_URL: 'redis://env:2' })).toBe('redis://q:1');
    expect(resolveRedisUrl(undefined, { OIDSTREAM_REDIS_URL: 'redis://env:2' })).toBe('redis://env:2');
    expect(resolveRedisUrl(undefined, {})).toBe(DEFAULT_REDIS_URL);
    expect(DEFAULT_REDIS_URL).toContain('127.0.0.1');
  });

  it('parses password, user, db and TLS URLs', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6380')).toMatchObject({ host: '127.0.0.1', port: 6380, db: 0, maxRetriesPerRequest: null });
    const auth = parseRedisUrl('redis://:s%40cret@cache.local/3');
    expect(auth).toMatchObject({ host: 'cache.local', port: 6379, db: 3, password: 's@cret' });
    expect(auth.tls).toBeUndefined();
    const tls = parseRedisUrl('rediss://worker:pw@redis.example.com:6390');
    expect(tls).toMatchObject({ host: 'redis.example.com', port: 6390, username: 'worker', password: 'pw', tls: { servername: 'redis.example.com' } });
  });

  it('rejects what is not a Redis URL with a coded error', () => {
    for (const bad of ['localhost:6379', 'http://x:1', 'redis://h/abc']) {
      expect(() => parseRedisUrl(bad)).toThrow(expect.objectContaining({ code: 'BAD_REDIS_URL' }));
    }
  });

  it('never shows the password', () => {
    expect(redactRedisUrl('rediss://u:topsecret@h:1/0')).toBe('rediss://u:***@h:1/0');
    expect(redactRedisUrl('redis://h:1')).toBe('redis://h:1');
  });
});
