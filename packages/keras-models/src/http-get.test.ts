import { createServer, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpGetBytes } from './http-get.js';
import { loadClassIndex } from './imagenet.js';
import { cacheModelFromUrl } from './load-model.js';
import { makeTinyModel, saveModelDir } from '../test/tiny-model.js';

/** Real servers on 127.0.0.1: a socket that accepts and never answers, and an http server with misbehaving routes. */
let silent: TcpServer;
let http: Server;
let silentUrl: string;
let base: string;
let root: string;
let modelJson: string;
const sockets = new Set<Socket>();
const open = new Set<ServerResponse>();

function trickle(res: ServerResponse, bytes: number, everyMs: number, length?: number): void {
  res.writeHead(200, length === undefined ? {} : { 'content-length': String(length) });
  let sent = 0;
  const t = setInterval(() => {
    if (sent >= bytes || res.destroyed) return clearInterval(t);
    res.write('x');
    sent++;
  }, everyMs);
  res.on('close', () => clearInterval(t));
}

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'keras-http-'));
  modelJson = JSON.stringify((await saveModelDir(await makeTinyModel(), path.join(root, 'tiny'), 2)).modelJson);
  silent = createTcpServer((s) => {
    sockets.add(s); // accept, read nothing back, never answer
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  silentUrl = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
  http = createServer((req, res) => {
    open.add(res);
    res.on('close', () => open.delete(res));
    const u = req.url ?? '';
    if (u.startsWith('/headers-then-stall')) {
      res.writeHead(200, { 'content-length': '1000' });
      res.write('{"partial":');
    } else if (u.startsWith('/trickle')) trickle(res, 10_000, 20);
    else if (u.startsWith('/declared-huge')) {
      res.writeHead(200, { 'content-length': String(10 * 2 ** 30) });
      res.write('x');
    } else if (u.startsWith('/chunked-huge')) {
      res.writeHead(200);
      const chunk = Buffer.alloc(64 * 1024, 1);
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    } else if (u.startsWith('/ok')) res.end('{"fine":true}');
    else if (u.startsWith('/model-stall/')) {
      if (u.endsWith('model.json')) {
        res.end(modelJson);
      } // the shards: never answered
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  for (const r of open) r.destroy();
  await new Promise<void>((r) => silent.close(() => r()));
  await new Promise<void>((r) => http.close(() => r()));
  await rm(root, { recursive: true, force: true });
});

/** The error and how long it took to come. */
async function timed(p: Promise<unknown>): Promise<{ err: { code?: string; message: string }; ms: number }> {
  const t0 = Date.now();
  try {
    await p;
  } catch (err) {
    return { err: err as { code?: string; message: string }, ms: Date.now() - t0 };
  }
  throw new Error('expected a failure');
}

describe('http downloads have limits of their own', () => {
  it('a server that accepts and never answers: FETCH_TIMEOUT after the connect / first-byte timeout', async () => {
    const { err, ms } = await timed(httpGetBytes(`${silentUrl}/model.json`, { connectTimeoutMs: 300 }));
    expect(err.code).toBe('FETCH_TIMEOUT');
    expect(err.message).toMatch(/no response within 0\.3 s/);
    expect(ms).toBeGreaterThanOrEqual(250);
    expect(ms).toBeLessThan(3000);
  });

  it('headers then silence: FETCH_TIMEOUT after the idle timeout, saying how much came', async () => {
    const { err, ms } = await timed(httpGetBytes(`${base}/headers-then-stall`, { idleTimeoutMs: 300 }));
    expect(err.code).toBe('FETCH_TIMEOUT');
    expect(err.message).toMatch(/stalled, nothing for 0\.3 s after 11 bytes/);
    expect(ms).toBeLessThan(3000);
  });

  it('a trickle that never idles still ends at the body timeout', async () => {
    const { err, ms } = await timed(httpGetBytes(`${base}/trickle`, { idleTimeoutMs: 500, bodyTimeoutMs: 800 }));
    expect(err.code).toBe('FETCH_TIMEOUT');
    expect(err.message).toMatch(/not complete after 0\.8 s \(\d+ bytes received; bodyTimeoutMs\)/);
    expect(ms).toBeGreaterThanOrEqual(700);
    expect(ms).toBeLessThan(3000);
  });

  it('bodies over the cap: refused from Content-Length, or cut while streaming', async () => {
    const declared = await timed(httpGetBytes(`${base}/declared-huge`, { maxBytes: 1000 }));
    expect(declared.err.code).toBe('FETCH_TOO_LARGE');
    expect(declared.err.message).toMatch(/10737418240 bytes is over the 1000-byte cap/);
    const chunked = await timed(httpGetBytes(`${base}/chunked-huge`, { maxBytes: 1_000_000 }));
    expect(chunked.err.code).toBe('FETCH_TOO_LARGE');
    expect(chunked.ms).toBeLessThan(3000);
    expect(new TextDecoder().decode(await httpGetBytes(`${base}/ok`, {}))).toBe('{"fine":true}');
    await expect(httpGetBytes(`${base}/ok`, { maxBytes: 0 })).rejects.toMatchObject({ code: 'BAD_OPTION' });
  });

  it('model URLs: a stalled shard fails the download with its reason and leaves no partial cache', async () => {
    const cacheDir = path.join(root, 'cache');
    const { err, ms } = await timed(cacheModelFromUrl(`${base}/model-stall/model.json`, { cacheDir, http: { connectTimeoutMs: 300 } }));
    expect(err.code).toBe('FETCH_TIMEOUT');
    // both shards stall and are fetched at once: either may be the one named
    expect(err.message).toMatch(/\/model-stall\/group1-shard[12]of2: no response within 0\.3 s/);
    expect(ms).toBeLessThan(3000);
    expect(await readdir(cacheDir)).toEqual([]); // the temp dir is gone
    const silentModel = await timed(cacheModelFromUrl(`${silentUrl}/m/`, { cacheDir, http: { connectTimeoutMs: 200 } }));
    expect(silentModel.err.code).toBe('FETCH_TIMEOUT');
  });

  it('the class index download has the same limits, and says why it failed', async () => {
    const local: typeof fetch = (input, init) => fetch(String(input).replace('https://storage.googleapis.com', silentUrl), init);
    const { err, ms } = await timed(
      loadClassIndex({ modelDir: path.join(root, 'none'), kerasCacheDir: path.join(root, 'keras'), fetch: local, http: { connectTimeoutMs: 300 } }),
    );
    expect(err.code).toBe('CLASS_INDEX_NOT_FOUND');
    expect(err.message).toMatch(/no response within 0\.3 s/);
    expect(ms).toBeLessThan(3000);
  });
});
