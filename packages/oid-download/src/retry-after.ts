/**
 * Exponential backoff with "equal jitter": half of the exponential step is fixed (so a struggling server always gets
 * some rest), half is random (so many clients retrying at once spread out instead of hammering it in lockstep).
 */
export interface BackoffOptions {
  /** Delay step of the first retry in ms. */
  baseMs: number;
  /** Upper bound of any single delay in ms. */
  maxMs: number;
  /** Random source in [0, 1); injectable for tests. */
  random?: () => number;
}

/** Delay before retry number `retry` (0 = the first retry). */
export function backoffDelay(retry: number, options: BackoffOptions): number {
  const random = options.random ?? Math.random;
  const step = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(retry, 30));
  return Math.round(step / 2 + random() * (step / 2));
}

/**
 * The server's Retry-After (seconds or an HTTP date) in ms, or undefined when absent or unparsable.
 * `now` is injectable for tests.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
