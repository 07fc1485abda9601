import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRetryAfter } from './retry-after.js';
import { fetchImage } from './fetch-image.js';
import type { FetchImageOptions } from './fetch-image.js';
import { md5Base64, verifyImage } from './verify-image.js';
import { startFaultServer } from '../test/fault-server.js';
import type { Fault, FaultServer } from '../test/fault-server.js';
import { makeJpegs } from '../test/make-images.js';

const FAST: FetchImageOptions = { timeoutMs: 300, maxBytes: 1 << 20, retries: 3, backoffMs: 5, maxBackoffMs: 20 };

describe('Retry-After', () => {
  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});

describe('fetchImage against a faulty local server', () => {
  let server: FaultServer;
  let images: Map<string, Uint8Array>;
  const faults = new Map<string, Fault[]>();
  const pathOf = (fault: string) => `/train/${fault}.jpg`;
  const cases: Record<string, Fault[]> = {
    ok: ['ok'],
    'once-503': ['http503', 'ok'],
    'twice-429': ['http429', 'http429', 'ok'],
    'once-500': ['http500', 'ok'],
    'once-reset': ['reset', 'ok'],
    'once-truncate': ['truncate', 'ok'],
    'once-slow': ['slow', 'ok'],
    'once-stall': ['stall', 'ok'],
    'always-503': ['http503'],
    'always-404': ['http404'],
    'always-403': ['http403'],
    'always-not-image': ['not-image'],
    chunked: ['chunked'],
  };

  beforeAll(async () => {
    const made = [...(await makeJpegs(Object.keys(cases).length, { width: 64, height: 48, noise: true })).values()];
    images = new Map(Object.keys(cases).map((name, i) => [pathOf(name), made[i]]));
    for (const [name, list] of Object.entries(cases)) faults.set(pathOf(name), list);
    server = await startFaultServer({ files: images, faults, slowMs: 2_000 });
  });
  afterAll(async () => server?.close());

  const get = (name: string, extra: Partial<FetchImageOptions> = {}) =>
    fetchImage(`${server.baseUrl}${pathOf(name)}`, { ...FAST, verify: (b) => verifyImage(b), ...extra });

  it.each(['once-503', 'twice-429', 'once-500', 'once-reset', 'once-truncate', 'once-slow', 'once-stall'])(
    'recovers from %s and returns the exact bytes',
    async (name) => {
      const result = await get(name);
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      expect(Buffer.from(result.bytes).equals(Buffer.from(images.get(pathOf(name))!))).toBe(true);
      expect(result.attempts).toBe(cases[name].length);
    },
  );

  it('does not retry 404 and 403: recorded as missing after one request', async () => {
    for (const name of ['always-404', 'always-403']) {
      const before = server.hits.get(pathOf(name)) ?? 0;
      const result = await get(name);
      expect(result).toMatchObject({ ok: false, reason: 'MISSING', permanent: true, attempts: 1 });
      expect(server.hits.get(pathOf(name))).toBe(before + 1);
    }
  });

  it('gives up on a server that keeps failing after retries + 1 attempts', async () => {
    const retries: number[] = [];
    const result = await get('always-503', { onRetry: (i) => retries.push(i.delayMs) });
    expect(result).toMatchObject({ ok: false, reason: 'RETRY_HTTP', status: 503, permanent: false, attempts: 4 });
    expect(retries).toHaveLength(3);
    expect(server.hits.get(pathOf('always-503'))).toBe(4);
  });

  it('backs off exponentially between retries (p-retry, jitter in [1, 2) × step, capped)', async () => {
    const started = Date.now();
    const result = await get('always-503', { backoffMs: 40, maxBackoffMs: 100 });
    const elapsed = Date.now() - started;
    expect(result).toMatchObject({ ok: false, attempts: 4 });
    // 40 + 80 + 100 (capped) at least; at most 80 + 100 + 100 plus request time.
    expect(elapsed).toBeGreaterThanOrEqual(215);
    expect(elapsed).toBeLessThan(2_000);
  });

  it('retries bytes that are not an image, then reports NOT_IMAGE', async () => {
    const result = await get('always-not-image');
    expect(result).toMatchObject({ ok: false, reason: 'NOT_IMAGE', attempts: 4 });
  });

  it('caps the body: a bigger image fails as TOO_LARGE without retries', async () => {
    const result = await get('ok', { maxBytes: 100 });
    expect(result).toMatchObject({ ok: false, reason: 'TOO_LARGE', permanent: true, attempts: 1 });
  });

  it('caps a body without Content-Length while streaming it, and reads it whole when under the cap', async () => {
    const big = await get('chunked', { maxBytes: 100 });
    expect(big).toMatchObject({ ok: false, reason: 'TOO_LARGE', detail: 'body over cap 100', attempts: 1 });
    const whole = await get('chunked');
    expect(whole.ok && Buffer.from(whole.bytes).equals(Buffer.from(images.get(pathOf('chunked'))!))).toBe(true);
  });

  it('stops at once when the caller aborts', async () => {
    const controller = new AbortController();
    const pending = get('always-503', { backoffMs: 10_000, maxBackoffMs: 10_000, signal: controller.signal });
    setTimeout(() => controller.abort(new Error('stop')), 50);
    await expect(pending).rejects.toThrow('stop');
  });
});

describe('fault classification (one attempt each)', () => {
  let server: FaultServer;
  const list: Fault[] = ['reset', 'truncate', 'slow', 'stall', 'http503', 'http429', 'http404', 'http403', 'unavailable'];
  beforeAll(async () => {
    const [img] = [...(await makeJpegs(1, { width: 64, height: 48, noise: true })).values()];
    server = await startFaultServer({
      files: new Map(list.map((f) => [`/t/${f}.jpg`, img])),
      faults: new Map(list.map((f) => [`/t/${f}.jpg`, [f]])),
      slowMs: 2_000,
    });
  });
  afterAll(async () => server?.close());

  it('maps each fault to a stable reason', async () => {
    const got: Record<string, unknown> = {};
    for (const f of list) {
      const r = await fetchImage(`${server.baseUrl}/t/${f}.jpg`, { ...FAST, retries: 0 });
      got[f] = r.ok ? 'ok' : `${r.reason}${r.permanent ? '!' : ''}`;
    }
    expect(got).toEqual({
      reset: 'RESET',
      truncate: expect.stringMatching(/^(TRUNCATED|RESET)$/),
      slow: 'TIMEOUT',
      stall: 'TIMEOUT',
      http503: 'RETRY_HTTP',
      http429: 'RETRY_HTTP',
      http404: 'MISSING!',
      http403: 'MISSING!',
      unavailable: 'MISSING!',
    });
  });

  it('reports a refused connection as a retriable network failure', async () => {
    const r = await fetchImage('http://127.0.0.1:1/x.jpg', { ...FAST, retries: 1 });
    expect(r).toMatchObject({ ok: false, reason: 'NETWORK', permanent: false, attempts: 2 });
  });
});

describe('verifyImage', () => {
  it('accepts a JPEG, checks base64 MD5, rejects other bytes', async () => {
    const [img] = [...(await makeJpegs(1)).values()];
    expect(await verifyImage(img)).toBeUndefined();
    expect(await verifyImage(img, md5Base64(img))).toBeUndefined();
    expect(await verifyImage(img, '1B2M2Y8AsgTpgAmY7PhCfg==')).toMatchObject({ reason: 'BAD_MD5' });
    expect(await verifyImage(new TextEncoder().encode('<html>'))).toMatchObject({ reason: 'NOT_IMAGE' });
    expect(md5Base64(new Uint8Array())).toBe('1B2M2Y8AsgTpgAmY7PhCfg==');
  });
});
