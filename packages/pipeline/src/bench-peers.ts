import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { readParquetRows } from '@oidstream/parquet-io';
import type { BenchMeasure } from './bench-measure.js';

const exec = promisify(execFile);

/** Debian's python (the one with python3-pil / python3-torch), else whatever python3 is on PATH. */
export function pythonBin(): string {
  return existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
}

export async function pythonHas(module: string): Promise<boolean> {
  try {
    await exec(pythonBin(), ['-c', `import ${module}`], { timeout: 60_000 });
    return true;
  } catch {
    return false;
  }
}

async function filesMatching(dir: string, suffix: string): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.endsWith(suffix)).sort().map((f) => path.join(dir, f));
}

export async function annotationFiles(data: string): Promise<{ labels: string[]; boxes: string[]; bytes: number }> {
  const dir = path.join(data, 'annotations');
  const labels = await filesMatching(dir, '-annotations-human-imagelabels-boxable.csv');
  const boxes = await filesMatching(dir, '-annotations-bbox.csv');
  let bytes = 0;
  for (const f of [...labels, ...boxes]) bytes += (await stat(f)).size;
  return { labels, boxes, bytes };
}

/** The scan peer: the same labels → images → boxes semi-join as `select`, in DuckDB SQL over the same CSVs. */
export async function duckdbScan(data: string, mids: string[], minConfidence: number): Promise<BenchMeasure> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const { labels, boxes, bytes } = await annotationFiles(data);
  const list = (xs: string[]) => `[${xs.map((x) => `'${x.replace(/'/g, "''")}'`).join(',')}]`;
  const t0 = performance.now();
  const db = await DuckDBInstance.create(':memory:', { threads: String(os.availableParallelism()) });
  const con = await db.connect();
  const mid = `(${mids.map((m) => `'${m}'`).join(',')})`;
  const reader = await con.runAndReadAll(`
    WITH ids AS (
      SELECT DISTINCT ImageID FROM read_csv(${list(labels)}, header = true, union_by_name = true, all_varchar = true)
      WHERE LabelName IN ${mid} AND CAST(Confidence AS DOUBLE) > ${minConfidence}
    )
    SELECT count(*) AS n FROM read_csv(${list(boxes)}, header = true, union_by_name = true, all_varchar = true) b
    WHERE b.LabelName IN ${mid} AND b.ImageID IN (SELECT ImageID FROM ids)`);
  const n = Number(reader.getRows()[0][0]);
  const ms = performance.now() - t0;
  con.closeSync();
  db.closeSync();
  return { units: n, unit: 'boxes', ms, bytes };
}

/** The chips peer: a bare sharp decode → extract → JPEG loop over the same boxes, 4 images in flight, no Parquet. */
export async function bareSharpLoop(boxesParquet: string, imagesDir: string): Promise<BenchMeasure> {
  const byImage = new Map<string, { XMin: number; XMax: number; YMin: number; YMax: number }[]>();
  for await (const r of readParquetRows(boxesParquet, { columns: ['ImageID', 'XMin', 'XMax', 'YMin', 'YMax'] })) {
    const list = byImage.get(String(r.ImageID)) ?? [];
    byImage.set(String(r.ImageID), list);
    list.push({ XMin: Number(r.XMin), XMax: Number(r.XMax), YMin: Number(r.YMin), YMax: Number(r.YMax) });
  }
  const t0 = performance.now();
  const ids = [...byImage.keys()];
  let chips = 0;
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++];
      const file = path.join(imagesDir, `${id}.jpg`);
      if (!existsSync(file)) continue;
      const { data, info } = await sharp(file).rotate().raw().toBuffer({ resolveWithObject: true });
      for (const b of byImage.get(id)!) {
        const left = Math.max(0, Math.min(info.width - 1, Math.floor(b.XMin * info.width)));
        const top = Math.max(0, Math.min(info.height - 1, Math.floor(b.YMin * info.height)));
        const width = Math.max(1, Math.min(info.width - left, Math.round((b.XMax - b.XMin) * info.width)));
        const height = Math.max(1, Math.min(info.height - top, Math.round((b.YMax - b.YMin) * info.height)));
        await sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } }).extract({ left, top, width, height }).jpeg({ quality: 90 }).toBuffer();
        chips++;
      }
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return { units: chips, unit: 'chips', ms: performance.now() - t0 };
}

const PIL_SCRIPT = `
import sys, io, time, csv, resource
from PIL import Image
boxes = {}
with open(sys.argv[1]) as f:
    for r in csv.DictReader(f):
        boxes.setdefault(r['ImageID'], []).append(r)
t0 = time.perf_counter(); n = 0
for iid, bs in boxes.items():
    try:
        im = Image.open(f"{sys.argv[2]}/{iid}.jpg"); im.load()
    except FileNotFoundError:
        continue
    w, h = im.size
    for b in bs:
        box = (int(float(b['XMin'])*w), int(float(b['YMin'])*h), max(int(float(b['XMin'])*w)+1, int(float(b['XMax'])*w)), max(int(float(b['YMin'])*h)+1, int(float(b['YMax'])*h)))
        out = io.BytesIO(); im.crop(box).convert('RGB').save(out, 'JPEG', quality=90); n += 1
ms = (time.perf_counter() - t0) * 1000
print(f'{{"units": {n}, "unit": "chips", "ms": {ms}, "maxRssKb": {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}}}')
`;

/** The seed project's method: a Python PIL crop per box (Debian python3-pil), one process, one core. */
export async function pilCrop(boxesCsv: string, imagesDir: string): Promise<BenchMeasure & { maxRssKb: number }> {
  const { stdout } = await exec(pythonBin(), ['-c', PIL_SCRIPT, boxesCsv, imagesDir], { timeout: 3_600_000, maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as BenchMeasure & { maxRssKb: number };
}

const TORCH_SCRIPT = `
import sys, time, resource, torch, torchvision
torch.set_num_threads(int(sys.argv[2]))
n = int(sys.argv[1]); batch = 16
model = torchvision.models.mobilenet_v2(weights=None).eval()
x = torch.rand(batch, 3, 224, 224)
with torch.no_grad():
    model(x)
    t0 = time.perf_counter(); done = 0
    while done < n:
        model(x[: min(batch, n - done)]); done += min(batch, n - done)
ms = (time.perf_counter() - t0) * 1000
print(f'{{"units": {n}, "unit": "images", "ms": {ms}, "maxRssKb": {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}}}')
`;

/** The inference peer: PyTorch MobileNetV2 (random weights, Debian python3-torch/torchvision), same thread count. */
export async function torchPredict(images: number, threads: number): Promise<BenchMeasure & { maxRssKb: number }> {
  const { stdout } = await exec(pythonBin(), ['-c', TORCH_SCRIPT, String(images), String(threads)], { timeout: 3_600_000, maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as BenchMeasure & { maxRssKb: number };
}
