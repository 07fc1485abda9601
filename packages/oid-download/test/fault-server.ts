import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

// A 1×1 PNG.
const PLACEHOLDER = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

/**
 * What the server does on one request for a path. A path's fault list is consumed one entry per request; the last
 * entry repeats (['http503', 'ok'] = 503 once, then the image; ['http404'] = always 404).
 */
export type Fault =
  | 'ok'
  | 'http503'
  | 'http429'
  | 'http500'
  | 'http404'
  | 'http403'
  | 'reset' // half the body, then a TCP reset
  | 'truncate' // Content-Length larger than the body, then the connection closes
  | 'slow' // headers only after `slowMs`
  | 'stall' // headers and half the body, then nothing for `slowMs`
  | 'not-image' // 200 with a text body
  | 'wrong-bytes' // 200 with another valid JPEG (its MD5 differs)
  | 'chunked' // 200 without Content-Length, body in two chunks
  | 'unavailable'; // 302 to /photo_unavailable.png, a valid placeholder image (what Flickr does for deleted photos)

export interface FaultServerOptions {
  /** URL path (e.g. `/train/0a1b….jpg`) → bytes (a Map, or anything with a `get`, e.g. bytes made on the fly). */
  files: Pick<ReadonlyMap<string, Uint8Array>, 'get'>;
  faults?: ReadonlyMap<string, readonly Fault[]>;
  slowMs?: number;
  /** Delay before every response (ms), to make a run last long enough to be interrupted. */
  delayMs?: number;
  /** Bytes served for 'wrong-bytes'. */
  otherImage?: Uint8Array;
}

export interface FaultServer {
  baseUrl: string;
  /** Requests per path. */
  hits: Map<string, number>;
  /** Complete successful responses per path. */
  served: Map<string, number>;
  /** Most requests open at the same time. */
  peakActive: () => number;
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1 (ephemeral port) serving files under any layout, with injected faults. */
export async function startFaultServer(options: FaultServerOptions): Promise<FaultServer> {
  const hits = new Map<string, number>();
  const served = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };
  const slowMs = options.slowMs ?? 5_000;

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const urlPath = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const n = hits.get(urlPath) ?? 0;
    hits.set(urlPath, n + 1);
    if (urlPath === '/photo_unavailable.png') {
      const png = options.otherImage ?? PLACEHOLDER;
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': png.byteLength }).end(png);
      return;
    }
    const body = options.files.get(urlPath);
    const list = options.faults?.get(urlPath) ?? ['ok'];
    const fault: Fault = body ? list[Math.min(n, list.length - 1)] : 'http404';
    const image = body ?? new Uint8Array();
    const half = image.subarray(0, Math.floor(image.byteLength / 2));
    const sendImage = (bytes: Uint8Array) => {
      res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': bytes.byteLength });
      res.end(bytes, () => served.set(urlPath, (served.get(urlPath) ?? 0) + 1));
    };
    switch (fault) {
      case 'ok':
        return sendImage(image);
      case 'http503':
        res.writeHead(503, { 'retry-after': '0' }).end('slow down');
        return;
      case 'http429':
        res.writeHead(429).end('too many requests');
        return;
      case 'http500':
        res.writeHead(500).end('oops');
        return;
      case 'http404':
        res.writeHead(404).end('not found');
        return;
      case 'http403':
        res.writeHead(403).end('forbidden');
        return;
      case 'reset':
        res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': image.byteLength });
        res.write(half, () => later(10, () => res.socket?.resetAndDestroy()));
        return;
      case 'truncate':
        res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': image.byteLength + 1000 });
        res.write(image, () => later(10, () => res.socket?.end()));
        return;
      case 'slow':
        later(slowMs, () => sendImage(image));
        return;
      case 'stall':
        res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': image.byteLength });
        res.write(half, () => later(slowMs, () => res.end(image.subarray(half.byteLength))));
        return;
      case 'not-image': {
        const text = Buffer.from('<html>this is not an image</html>');
        res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': text.byteLength });
        res.end(text);
        return;
      }
      case 'chunked':
        res.writeHead(200, { 'content-type': 'image/jpeg' });
        res.write(half, () => later(5, () => res.end(image.subarray(half.byteLength))));
        return;
      case 'unavailable':
        res.writeHead(302, { location: '/photo_unavailable.png' }).end();
        return;
      case 'wrong-bytes':
        return sendImage(options.otherImage ?? image.subarray().reverse());
    }
  };

  let active = 0;
  let peak = 0;
  const server: Server = createServer((req, res) => {
    active++;
    peak = Math.max(peak, active);
    res.on('close', () => active--);
    if (options.delayMs) later(options.delayMs, () => handle(req, res));
    else handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    hits,
    served,
    peakActive: () => peak,
    close: async () => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
