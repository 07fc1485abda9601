import pRetry from 'p-retry';
import { parseRetryAfter, sleep } from './retry-after.js';

/**
 * Why one attempt (or, finally, one image) failed. Stable strings: they end up in download-errors.jsonl.
 * - MISSING: 404/403/410, or a redirect to Flickr's "photo unavailable" placeholder — the file is gone; never retried.
 * - HTTP: another 4xx — a request the server will never accept; never retried.
 * - TOO_LARGE: the body is over the cap; never retried.
 * - RETRY_HTTP: 429/5xx/408; TIMEOUT; RESET (connection dropped); TRUNCATED (fewer bytes than Content-Length);
 *   NETWORK (refused, DNS, …); BAD_MD5 / NOT_IMAGE (verification) — retried.
 */
export type FetchFailureReason =
  | 'MISSING'
  | 'HTTP'
  | 'TOO_LARGE'
  | 'RETRY_HTTP'
  | 'TIMEOUT'
  | 'RESET'
  | 'TRUNCATED'
  | 'NETWORK'
  | 'BAD_MD5'
  | 'NOT_IMAGE';

export interface FetchImageOptions {
  /** Per attempt: from sending the request to the last body byte (ms). */
  timeoutMs: number;
  /** Largest accepted body; bigger ones fail as TOO_LARGE without being buffered. */
  maxBytes: number;
  /** Retries after the first attempt. */
  retries: number;
  /** Backoff of the first retry (ms); doubles per retry, times a random factor in [1, 2). */
  backoffMs: number;
  /** Cap of a single backoff delay, and of a server's Retry-After (ms). */
  maxBackoffMs: number;
  /** Checks fetched bytes; returns a failure (retried like a transfer error) or undefined when fine. */
  verify?: (bytes: Uint8Array) => Promise<{ reason: 'BAD_MD5' | 'NOT_IMAGE'; detail: string } | undefined>;
  /** Cancels everything (the in-flight request and any backoff wait). */
  signal?: AbortSignal;
  /** Extra request headers (e.g. User-Agent). */
  headers?: Record<string, string>;
  /** Called before each retry; `delayMs` is the server's Retry-After wait (0 when it gave none), added to the backoff. */
  onRetry?: (info: { url: string; attempt: number; reason: FetchFailureReason; detail: string; delayMs: number }) => void;
}

export type FetchImageResult =
  | { ok: true; bytes: Uint8Array; attempts: number; status: number }
  | { ok: false; reason: FetchFailureReason; detail: string; status?: number; attempts: number; permanent: boolean };

type Attempt =
  | { ok: true; bytes: Uint8Array; status: number }
  | { ok: false; reason: FetchFailureReason; detail: string; status?: number; permanent: boolean; retryAfterMs?: number };

const PERMANENT_MISSING = new Set([403, 404, 410]);

/** A failed attempt, thrown inside p-retry so that it decides on retry and backoff. */
class AttemptFailure extends Error {
  constructor(readonly attempt: Extract<Attempt, { ok: false }>) {
    super(attempt.detail);
  }
}

/**
 * Fetch one image with retries (p-retry: exponential backoff with jitter, Retry-After honoured), a per-attempt
 * timeout and a body cap. Never throws for transfer problems: the last failure comes back as a result.
 */
export async function fetchImage(url: string, options: FetchImageOptions): Promise<FetchImageResult> {
  let attempts = 0;
  try {
    const { bytes, status } = await pRetry(
      async () => {
        attempts++;
        let outcome: Attempt = await fetchOnce(url, options);
        if (outcome.ok && options.verify) {
          const bad = await options.verify(outcome.bytes);
          if (bad) outcome = { ok: false, reason: bad.reason, detail: bad.detail, status: outcome.status, permanent: false };
        }
        if (!outcome.ok) throw new AttemptFailure(outcome);
        return outcome;
      },
      {
        retries: options.retries,
        factor: 2,
        minTimeout: options.backoffMs,
        maxTimeout: options.maxBackoffMs,
        randomize: true,
        signal: options.signal,
        shouldRetry: ({ error }) => error instanceof AttemptFailure && !error.attempt.permanent,
        onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
          if (!(error instanceof AttemptFailure) || error.attempt.permanent || retriesLeft <= 0) return;
          const { reason, detail, retryAfterMs } = error.attempt;
          // The server said how long to wait: wait that (capped) before p-retry's own backoff.
          const waitMs = Math.min(options.maxBackoffMs, retryAfterMs ?? 0);
          options.onRetry?.({ url, attempt: attemptNumber, reason, detail, delayMs: waitMs });
          if (waitMs > 0) await sleep(waitMs, options.signal);
        },
      },
    );
    return { ok: true, bytes, attempts, status };
  } catch (err) {
    if (!(err instanceof AttemptFailure)) throw err; // the caller's abort
    const { reason, detail, status, permanent } = err.attempt;
    return { ok: false, reason, detail, status, attempts, permanent };
  }
}

class AttemptTimeout extends Error {}

/** One HTTP GET. Never throws for transfer problems (they become a failed Attempt); rethrows only a user abort. */
export async function fetchOnce(url: string, options: FetchImageOptions): Promise<Attempt> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new AttemptTimeout(`no complete response within ${options.timeoutMs} ms`)), options.timeoutMs);
  const onOuterAbort = () => controller.abort(options.signal!.reason);
  if (options.signal?.aborted) onOuterAbort();
  else options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  try {
    const response = await fetch(url, { signal: controller.signal, headers: options.headers, redirect: 'follow' });
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      const status = response.status;
      const detail = `HTTP ${status}${response.statusText ? ' ' + response.statusText : ''}`;
      if (PERMANENT_MISSING.has(status)) return { ok: false, reason: 'MISSING', detail, status, permanent: true };
      if (status === 408 || status === 429 || status >= 500) {
        return { ok: false, reason: 'RETRY_HTTP', detail, status, permanent: false, retryAfterMs: parseRetryAfter(response.headers.get('retry-after')) };
      }
      return { ok: false, reason: 'HTTP', detail, status, permanent: true };
    }
    // Flickr answers a deleted photo with a redirect to a placeholder image that would pass every byte check.
    if (response.redirected && /photo_unavailable|image_unavailable/i.test(response.url)) {
      await response.body?.cancel().catch(() => undefined);
      return { ok: false, reason: 'MISSING', detail: `redirected to placeholder ${response.url}`, status: response.status, permanent: true };
    }
    const declared = response.headers.get('content-length');
    const declaredLength = declared !== null && /^\d+$/.test(declared) ? Number(declared) : undefined;
    if (declaredLength !== undefined && declaredLength > options.maxBytes) {
      await response.body?.cancel().catch(() => undefined);
      return { ok: false, reason: 'TOO_LARGE', detail: `Content-Length ${declaredLength} > cap ${options.maxBytes}`, status: response.status, permanent: true };
    }
    const chunks: Uint8Array[] = [];
    let received = 0;
    if (response.body) {
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        received += value.byteLength;
        if (received > options.maxBytes) {
          await reader.cancel().catch(() => undefined);
          return { ok: false, reason: 'TOO_LARGE', detail: `body over cap ${options.maxBytes}`, status: response.status, permanent: true };
        }
        chunks.push(value);
      }
    }
    // fetch decodes Content-Encoding, after which Content-Length no longer describes the body.
    const encoded = response.headers.get('content-encoding');
    if (declaredLength !== undefined && (!encoded || encoded === 'identity') && received !== declaredLength) {
      return { ok: false, reason: 'TRUNCATED', detail: `got ${received} of ${declaredLength} bytes`, status: response.status, permanent: false };
    }
    return { ok: true, bytes: concat(chunks, received), status: response.status };
  } catch (err) {
    if (options.signal?.aborted) throw options.signal.reason;
    return { ok: false, permanent: false, ...classifyError(err, controller.signal) };
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onOuterAbort);
  }
}

function classifyError(err: unknown, signal: AbortSignal): { reason: FetchFailureReason; detail: string } {
  if (signal.aborted && signal.reason instanceof AttemptTimeout) return { reason: 'TIMEOUT', detail: signal.reason.message };
  // undici wraps socket errors: TypeError('fetch failed' | 'terminated', { cause: { code } })
  const cause = (err as { cause?: { code?: unknown; message?: unknown } })?.cause;
  const code = typeof cause?.code === 'string' ? cause.code : typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : '';
  const message = `${err instanceof Error ? err.message : String(err)}${cause?.message ? `: ${String(cause.message)}` : ''}${code ? ` (${code})` : ''}`;
  if (code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH') return { reason: 'TRUNCATED', detail: message };
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE' || /terminated|other side closed/i.test(message)) {
    return { reason: 'RESET', detail: message };
  }
  return { reason: 'NETWORK', detail: message };
}

function concat(chunks: Uint8Array[], length: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}
