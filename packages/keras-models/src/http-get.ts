import { open } from 'node:fs/promises';
import { withDefaults } from './defaults.js';
import { KerasModelsError } from './errors.js';

/** Limits on one http(s) download (a model.json, a weight shard, the class index). */
export interface HttpOptions {
  /** Connect + response headers must arrive within this many ms. Default 30,000. */
  connectTimeoutMs?: number;
  /** Give up when the body sends nothing for this many ms. Default 60,000. */
  idleTimeoutMs?: number;
  /** The whole body of one file must arrive within this many ms (a trickle is not "live"). Default 600,000. */
  bodyTimeoutMs?: number;
  /** Largest body accepted, in bytes (checked against Content-Length first, then while reading). Default 1 GiB. */
  maxBytes?: number;
  /** fetch implementation (tests, proxies). Default globalThis.fetch. */
  fetch?: typeof fetch;
}

/** Defaults for a slow but live network: tfjs shards are ≤ 4 MB, so 10 min per file is ≥ 7 KB/s. */
export const HTTP_DEFAULTS = { connectTimeoutMs: 30_000, idleTimeoutMs: 60_000, bodyTimeoutMs: 600_000, maxBytes: 2 ** 30 } as const;

type Resolved = Required<Omit<HttpOptions, 'fetch'>> & { fetch: typeof fetch };

function resolve(options: HttpOptions): Resolved {
  const o = withDefaults({ ...HTTP_DEFAULTS, fetch: globalThis.fetch }, options);
  for (const k of ['connectTimeoutMs', 'idleTimeoutMs', 'bodyTimeoutMs', 'maxBytes'] as const) {
    if (!(Number.isFinite(o[k]) && o[k] > 0)) throw new KerasModelsError('BAD_OPTION', `${k} must be a positive number, got ${o[k]}`);
  }
  return o;
}

const seconds = (ms: number) => `${+(ms / 1000).toFixed(3)} s`;

/** Resolves with `p`, or rejects with `onTimeout()` after `ms` (and calls `cancel`): works even if the fetch ignores its signal. */
function within<T>(p: Promise<T>, ms: number, onTimeout: () => Error, cancel: (e: Error) => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = onTimeout();
      cancel(err);
      reject(err);
    }, ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** The response once its headers are in: status checked, Content-Length checked against the cap. */
async function open200(url: string, o: Resolved, controller: AbortController): Promise<Response> {
  let res: Response;
  try {
    res = await within(
      o.fetch(url, { signal: controller.signal, redirect: 'follow' }),
      o.connectTimeoutMs,
      () => new KerasModelsError('FETCH_TIMEOUT', `${url}: no response within ${seconds(o.connectTimeoutMs)} (connect / first byte timeout)`),
      (e) => controller.abort(e),
    );
  } catch (err) {
    if (err instanceof KerasModelsError) throw err;
    throw new KerasModelsError('FETCH_FAILED', `cannot fetch ${url}: ${(err as Error).message}`, { cause: err });
  }
  if (res.status === 404) throw Object.assign(new KerasModelsError('FETCH_FAILED', `${url}: HTTP 404`), { status: 404 });
  if (!res.ok) throw Object.assign(new KerasModelsError('FETCH_FAILED', `${url}: HTTP ${res.status}`), { status: res.status });
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > o.maxBytes) {
    controller.abort();
    throw new KerasModelsError('FETCH_TOO_LARGE', `${url}: body of ${declared} bytes is over the ${o.maxBytes}-byte cap (maxBytes)`);
  }
  return res;
}

/**
 * GET `url` and hand each body chunk to `sink` as it arrives (never the whole body at once). Errors, with the reason in
 * the message: FETCH_FAILED (network, HTTP status — `status` set on the error), FETCH_TIMEOUT (no headers in time, body
 * idle or too slow), FETCH_TOO_LARGE (over maxBytes).
 */
export async function httpStream(url: string, options: HttpOptions, sink: (chunk: Uint8Array) => Promise<void> | void): Promise<number> {
  const o = resolve(options);
  const controller = new AbortController();
  const res = await open200(url, o, controller);
  if (!res.body) return 0;
  const reader = res.body.getReader();
  const started = Date.now();
  let bytes = 0;
  const cancel = (e: Error) => {
    controller.abort(e);
    reader.cancel(e).catch(() => undefined);
  };
  try {
    for (;;) {
      const left = o.bodyTimeoutMs - (Date.now() - started);
      const slow = left < o.idleTimeoutMs;
      const { done, value } = await within(
        reader.read(),
        Math.max(1, Math.min(o.idleTimeoutMs, left)),
        () =>
          new KerasModelsError(
            'FETCH_TIMEOUT',
            slow
              ? `${url}: body not complete after ${seconds(o.bodyTimeoutMs)} (${bytes} bytes received; bodyTimeoutMs)`
              : `${url}: body stalled, nothing for ${seconds(o.idleTimeoutMs)} after ${bytes} bytes (idleTimeoutMs)`,
          ),
        cancel,
      );
      if (done) return bytes;
      bytes += value.byteLength;
      if (bytes > o.maxBytes) {
        const err = new KerasModelsError('FETCH_TOO_LARGE', `${url}: body passed the ${o.maxBytes}-byte cap (maxBytes)`);
        cancel(err);
        throw err;
      }
      await sink(value);
    }
  } catch (err) {
    if (err instanceof KerasModelsError) throw err;
    throw new KerasModelsError('FETCH_FAILED', `${url}: body failed after ${bytes} bytes: ${(err as Error).message}`, { cause: err });
  }
}

/** GET a small file into memory (model.json, the class index), with the same limits. */
export async function httpGetBytes(url: string, options: HttpOptions): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  await httpStream(url, options, (c) => {
    chunks.push(c);
  });
  return Buffer.concat(chunks);
}

/** GET a file straight to disk (weight shards), with the same limits; returns its size. */
export async function httpGetFile(url: string, file: string, options: HttpOptions): Promise<number> {
  const fh = await open(file, 'w');
  try {
    return await httpStream(url, options, async (c) => {
      await fh.write(c);
    });
  } finally {
    await fh.close();
  }
}
