/**
 * Fetch the images of a few ImageIDs from a server laid out like OID's S3 bucket (`<base>/<split>/<ImageID>.jpg`) into
 * images.parquet. To stay offline it starts such a server on 127.0.0.1 over a folder of `<ImageID>.jpg`. Run it:
 * `npx tsx packages/oid-download/samples/download-local.ts [images dir] [out]`
 * (default: the committed test-data/oid/images). Against the real bucket, drop `baseUrl`.
 */
import { createServer } from 'node:http';
import { readdir, readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { downloadImages, formatReasons } from '@oidstream/oid-download';

export async function main(
  imagesDir = path.resolve(import.meta.dirname, '../../../test-data/oid/images'),
  out = path.join(os.tmpdir(), `oid-download-sample-${process.pid}`, 'images.parquet'),
) {
  const ids = (await readdir(imagesDir)).filter((n) => n.endsWith('.jpg')).map((n) => n.slice(0, -4)).sort().slice(0, 5);
  // Serves every image under /train/; anything else is a 404, like a photo gone from the bucket.
  const server = createServer(async (req, res) => {
    const m = /^\/train\/([0-9a-f]+)\.jpg$/.exec(req.url ?? '');
    const body = m ? await readFile(path.join(imagesDir, `${m[1]}.jpg`)).catch(() => undefined) : undefined;
    if (body) res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': body.byteLength }).end(body);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const images = [...ids, '0000000000000000'].map((ImageID) => ({ ImageID, Subset: 'train' }));
    const summary = await downloadImages({ images, out, baseUrl, concurrency: 4, backoffMs: 10 });
    console.log(`${summary.out}: ${summary.rows} images stored, ${summary.errors} not (${formatReasons(summary.errorsByReason)})`);
    return summary;
  } finally {
    server.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main(...process.argv.slice(2));
