import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { readParquetRows } from '@oidstream/parquet-io';
import type { BenchMeasure } from './bench-measure.js';

const exec = promisify(execFile);

/** Debian's python (the one with python3-pil / python3-torch); the python3 first on PATH often lacks them. */
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

/**
 * The select peer doing the same work: labels → selected ImageIDs → their boxes of the chosen classes with
 * DisplayName, written to a Parquet file by DuckDB (`COPY … TO`); the rows written are returned to compare with ours.
 */
export async function duckdbSelect(data: string, mids: string[], minConfidence: number, outFile: string): Promise<BenchMeasure> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const { labels, boxes, bytes } = await annotationFiles(data);
  const t0 = performance.now();
  const db = await DuckDBInstance.create(':memory:', { threads: String(os.availableParallelism()) });
  const con = await db.connect();
  const t1 = performance.now();
  await con.run(duckdbSelectSql(data, labels, boxes, mids, minConfidence, outFile));
  const ms = performance.now() - t1;
  const rows = Number((await con.runAndReadAll(`SELECT count(*) FROM read_parquet('${outFile.replace(/'/g, "''")}')`)).getRows()[0][0]);
  con.closeSync();
  db.closeSync();
  return { units: rows, unit: 'boxes', ms, loadMs: t1 - t0, bytes, outputRows: rows };
}

/** The SQL of the DuckDB select peer: the selection joined and written to `outFile` as Parquet. */
export function duckdbSelectSql(data: string, labels: string[], boxes: string[], mids: string[], minConfidence: number, outFile: string): string {
  const q = (x: string) => `'${x.replace(/'/g, "''")}'`;
  const list = (xs: string[]) => `[${xs.map(q).join(',')}]`;
  const classFile = path.join(data, 'metadata', 'class-descriptions-boxable.csv');
  return `COPY (
    WITH cls AS (SELECT column0 AS LabelName, column1 AS DisplayName FROM read_csv(${q(classFile)}, header = false, auto_detect = false,
        strict_mode = false, delim = ',', quote = '"', escape = '"', columns = {'column0': 'VARCHAR', 'column1': 'VARCHAR'})
      WHERE column0 IN (${mids.map(q).join(',')})),
    ids AS (SELECT DISTINCT ImageID FROM read_csv(${list(labels)}, header = true, union_by_name = true, all_varchar = true)
      WHERE LabelName IN (SELECT LabelName FROM cls) AND CAST(Confidence AS DOUBLE) > ${minConfidence})
    SELECT b.ImageID, b.Source, b.LabelName, CAST(b.Confidence AS DOUBLE) AS Confidence, CAST(b.XMin AS DOUBLE) AS XMin,
      CAST(b.XMax AS DOUBLE) AS XMax, CAST(b.YMin AS DOUBLE) AS YMin, CAST(b.YMax AS DOUBLE) AS YMax,
      CAST(b.IsOccluded AS INTEGER) AS IsOccluded, CAST(b.IsTruncated AS INTEGER) AS IsTruncated, CAST(b.IsGroupOf AS INTEGER) AS IsGroupOf,
      CAST(b.IsDepiction AS INTEGER) AS IsDepiction, CAST(b.IsInside AS INTEGER) AS IsInside, cls.DisplayName
    FROM read_csv(${list(boxes)}, header = true, union_by_name = true, all_varchar = true) b JOIN cls USING (LabelName)
    WHERE b.ImageID IN (SELECT ImageID FROM ids)
  ) TO ${q(outFile)} (FORMAT parquet)`;
}

/** The chips peer: a bare sharp decode → extract → JPEG loop over the same boxes, 4 images in flight, no Parquet. */
export async function bareSharpLoop(boxesParquet: string, imagesDir: string): Promise<BenchMeasure> {
  const byImage = new Map<string, { XMin: number; XMax: number; YMin: number; YMax: number }[]>();
  for await (const r of readParquetRows(boxesParquet, { columns: ['ImageID', 'XMin', 'XMax', 'YMin', 'YMax'] })) {
    const list = byImage.get(String(r.ImageID)) ?? [];
    byImage.set(String(r.ImageID), list);
    list.push({ XMin: Number(r.XMin), XMax: Number(r.XMax), YMin: Number(r.YMin), YMax: Number(r.YMax) });
  }
  const cut = async (id: string): Promise<number> => {
    const file = path.join(imagesDir, `${id}.jpg`);
    if (!existsSync(file)) return 0;
    const { data, info } = await sharp(file).rotate().raw().toBuffer({ resolveWithObject: true });
    for (const b of byImage.get(id)!) {
      const left = Math.max(0, Math.min(info.width - 1, Math.floor(b.XMin * info.width)));
      const top = Math.max(0, Math.min(info.height - 1, Math.floor(b.YMin * info.height)));
      const width = Math.max(1, Math.min(info.width - left, Math.round((b.XMax - b.XMin) * info.width)));
      const height = Math.max(1, Math.min(info.height - top, Math.round((b.YMax - b.YMin) * info.height)));
      await sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } }).extract({ left, top, width, height }).jpeg({ quality: 90 }).toBuffer();
    }
    return byImage.get(id)!.length;
  };
  const ids = [...byImage.keys()];
  const warm = ids.slice(0, 4);
  let warmChips = 0;
  for (const id of warm) warmChips += await cut(id); // warm-up: libvips start, first decodes
  const t0 = performance.now();
  let chips = 0;
  let next = warm.length;
  const worker = async () => {
    while (next < ids.length) {
      const n = await cut(ids[next++]);
      chips += n;
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return { units: chips, unit: 'chips', ms: performance.now() - t0, note: `after ${warmChips} warm-up chips` };
}

const PIL_SCRIPT = `
import sys, io, time, csv, resource
t_start = time.perf_counter()
from multiprocessing import Pool
from PIL import Image
def cut(job):
    iid, bs = job
    try:
        im = Image.open(f"{sys.argv[2]}/{iid}.jpg"); im.load()
    except FileNotFoundError:
        return 0
    w, h = im.size
    for b in bs:
        x0, y0 = int(float(b['XMin'])*w), int(float(b['YMin'])*h)
        box = (x0, y0, max(x0+1, int(float(b['XMax'])*w)), max(y0+1, int(float(b['YMax'])*h)))
        out = io.BytesIO(); im.crop(box).convert('RGB').save(out, 'JPEG', quality=90)
    return len(bs)
if __name__ == '__main__':
    boxes = {}
    with open(sys.argv[1]) as f:
        for r in csv.DictReader(f):
            boxes.setdefault(r['ImageID'], []).append(r)
    jobs = list(boxes.items()); procs = int(sys.argv[3])
    pool = Pool(procs) if procs > 1 else None
    run = (lambda js: sum(pool.map(cut, js, chunksize=4))) if pool else (lambda js: sum(map(cut, js)))
    warm = run(jobs[:2 * procs])  # warm-up: pool start, first decodes
    t_load = time.perf_counter() - t_start
    t0 = time.perf_counter(); n = run(jobs[2 * procs:]); ms = (time.perf_counter() - t0) * 1000
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(f'{{"units": {n}, "unit": "chips", "ms": {ms}, "loadMs": {t_load * 1000}, "note": "after {warm} warm-up chips", "maxRssKb": {rss}}}')
`;

/** The seed project's method: PIL crop per box (Debian python3-pil), open + load once per image, on `procs` processes. */
export async function pilCrop(boxesCsv: string, imagesDir: string, procs: number): Promise<BenchMeasure & { maxRssKb: number }> {
  const { stdout } = await exec(pythonBin(), ['-c', PIL_SCRIPT, boxesCsv, imagesDir, String(procs)], { timeout: 3_600_000, maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as BenchMeasure & { maxRssKb: number };
}

/** keras-models' PyTorch baseline (same MobileNet v1 as Keras, any alpha): repository only, not in the npm package. */
export function pytorchBaseline(): string | undefined {
  const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../keras-models/bench/pytorch_baseline.py');
  return existsSync(file) ? file : undefined;
}

const TORCH_SCRIPT = `
import sys, time, json, resource, importlib.util
t_start = time.perf_counter()
import torch
spec = importlib.util.spec_from_file_location('pytorch_baseline', sys.argv[1]); pb = importlib.util.module_from_spec(spec); spec.loader.exec_module(pb)
n, threads, batch = int(sys.argv[2]), int(sys.argv[3]), 16
torch.set_num_threads(threads); torch.manual_seed(0)
model = pb.mobilenet_v1(alpha=0.75).eval()
variants = [('eager', model)]
try:
    variants.append(('jit.freeze', torch.jit.optimize_for_inference(torch.jit.script(model))))
except Exception:
    pass
x = torch.rand(batch, 3, 224, 224) * 2 - 1
t_built = time.perf_counter() - t_start
best = None
with torch.inference_mode():
    for label, m in variants:
        w0 = time.perf_counter(); m(x); m(x)  # warm-up
        t_load = t_built + time.perf_counter() - w0
        t0 = time.perf_counter(); done = 0
        while done < n:
            k = min(batch, n - done); m(x[:k]); done += k
        ms = (time.perf_counter() - t0) * 1000
        if best is None or ms < best['ms']:
            best = {'units': n, 'unit': 'images', 'ms': ms, 'loadMs': t_load * 1000, 'note': f'MobileNet v1 alpha=0.75 (pytorch_baseline.py), {label}, batch {batch}, {threads} threads, torch {torch.__version__}'}
best['maxRssKb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps(best))
`;

/** The inference peer: PyTorch (Debian python3-torch) on MobileNet v1 α=0.75, the faster of eager and jit.freeze. */
export async function torchPredict(images: number, threads: number): Promise<BenchMeasure & { maxRssKb: number }> {
  const script = pytorchBaseline();
  if (!script) throw new Error('packages/keras-models/bench/pytorch_baseline.py not found (run the bench from the repository)');
  const { stdout } = await exec(pythonBin(), ['-c', TORCH_SCRIPT, script, String(images), String(threads)], { timeout: 3_600_000, maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as BenchMeasure & { maxRssKb: number };
}

const TORCH_RESNET_SCRIPT = `
import sys, time, json, resource
t_start = time.perf_counter()
import torch, torchvision
n, threads = int(sys.argv[1]), int(sys.argv[2])
torch.set_num_threads(threads); torch.manual_seed(0)
model = torchvision.models.resnet50().eval()
with torch.no_grad():
    frozen = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.script(model)))
x = torch.rand(1, 3, 224, 224) * 255 - 128
with torch.inference_mode():
    for _ in range(3): frozen(x)  # warm-up (also runs the frozen graph's own optimisation passes)
    t_load = time.perf_counter() - t_start
    t0 = time.perf_counter()
    for _ in range(n): frozen(x)
    ms = (time.perf_counter() - t0) * 1000
note = f'torchvision ResNet50 (random weights), jit.freeze + optimize_for_inference, batch 1, {threads} threads, after 3 warm-up runs, torch {torch.__version__}'
print(json.dumps({'units': n, 'unit': 'images', 'ms': ms, 'loadMs': t_load * 1000, 'note': note, 'maxRssKb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
`;

/** Issue 11's batch-1 peer: torchvision's ResNet50 under PyTorch `jit.freeze` (Debian python3-torch, python3-torchvision), `threads` threads. */
export async function torchResnet50Batch1(images: number, threads: number): Promise<BenchMeasure & { maxRssKb: number }> {
  const { stdout } = await exec(pythonBin(), ['-c', TORCH_RESNET_SCRIPT, String(images), String(threads)], { timeout: 3_600_000, maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as BenchMeasure & { maxRssKb: number };
}

/** The DuckDB select as a whole command: a bare node process (start, import, query, write), wall time in the parent. */
export function duckdbCommandScript(sql: string): string {
  const api = import.meta.resolve('@duckdb/node-api');
  return `const { DuckDBInstance } = await import(${JSON.stringify(api)});
const db = await DuckDBInstance.create(':memory:', { threads: '${os.availableParallelism()}' });
const con = await db.connect();
await con.run(${JSON.stringify(sql)});
con.closeSync(); db.closeSync();`;
}
