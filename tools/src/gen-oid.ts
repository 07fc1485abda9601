import { closeSync, existsSync, mkdirSync, openSync, readdirSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { drawImage } from './draw-image.js';
import {
  boxHeader, boxLines, classDescriptionsText, fileNames, hierarchyText, LABEL_HEADER, labelLines, ROTATION_HEADER, rotationLine,
} from './oid-files.js';
import { ImageIdSequence, planImage, SPLITS, type GenImage, type Split } from './scene.js';

export interface GenerateOptions {
  /** Output data dir. */
  out: string;
  /** Number of images (default 40). Ignored when `boxRows` is set. */
  images?: number;
  /** Generate images until at least this many box rows exist (for scale tests). */
  boxRows?: number;
  /** PRNG seed (default 1): same seed, same bytes. */
  seed?: number;
  /** Share of objects (after the first 12 images) that are big cats (default 0.35; real OID is far lower). */
  bigCatShare?: number;
  /** Write `<split>-images-with-rotation.csv` (default true; scale runs of the box scan can skip it). */
  rotationFiles?: boolean;
  /** Draw real JPEGs into images/ (default true). Off for CSV-only scale runs. */
  jpeg?: boolean;
  /** JPEG quality (default 82). */
  quality?: number;
  /** Images drawn at once (default 4: sharp runs 1 thread per call here). */
  concurrency?: number;
  /** Replace the OID sub-dirs (metadata/, annotations/, images/) of a non-empty `out` (default false: refuse). */
  force?: boolean;
  onProgress?: (p: { images: number; boxRows: number }) => void;
}

export const GENERATE_DEFAULTS = { images: 40, seed: 1, bigCatShare: 0.35, rotationFiles: true, jpeg: true, quality: 82, concurrency: 4, force: false } as const;

export interface GenerateResult {
  out: string;
  images: number;
  boxRows: number;
  humanLabelRows: number;
  machineLabelRows: number;
  rotatedImages: number;
  /** Files written, relative to `out`. */
  files: string[];
}

export class GenOidError extends Error {
  readonly code: string;
  constructor(code: 'OUT_NOT_EMPTY' | 'BAD_OPTIONS', message: string) {
    super(message);
    this.name = 'GenOidError';
    this.code = code;
  }
}

/**
 * Appends text to a file through a 1 MiB byte buffer (sync writes; text is encoded at once so it dies young and the
 * GC stays cheap).
 */
class TextSink {
  private fd: number;
  private readonly buf = Buffer.allocUnsafe(1 << 20);
  private used = 0;
  constructor(file: string, header: string) {
    mkdirSync(path.dirname(file), { recursive: true });
    this.fd = openSync(file, 'w');
    this.write(header + '\n');
  }
  write(text: string): void {
    if (text === '') return;
    if (this.used + text.length * 3 > this.buf.length) {
      this.flush();
      if (text.length * 3 > this.buf.length) {
        writeSync(this.fd, text);
        return;
      }
    }
    this.used += this.buf.write(text, this.used, 'utf8');
  }
  flush(): void {
    if (this.used > 0) writeSync(this.fd, this.buf, 0, this.used);
    this.used = 0;
  }
  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

/**
 * Write a deterministic OID-shaped data dir: metadata (CRLF class file, hierarchy JSON), three splits of human and
 * machine image labels (separate files), boxes (train with XClick columns) and images-with-rotation, plus JPEGs drawn with sharp.
 */
export async function generateOid(options: GenerateOptions): Promise<GenerateResult> {
  // Options left undefined take the defaults.
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as GenerateOptions;
  const o = { ...GENERATE_DEFAULTS, ...given };
  if (!o.out) throw new GenOidError('BAD_OPTIONS', 'out is required');
  if (o.boxRows === undefined && !(Number.isInteger(o.images) && o.images > 0)) throw new GenOidError('BAD_OPTIONS', `images must be a positive integer, got ${o.images}`);
  // A NaN seed (e.g. `--seed abc`) would quietly give the same data as seed 0.
  if (!Number.isInteger(o.seed)) throw new GenOidError('BAD_OPTIONS', `seed must be an integer, got ${o.seed}`);
  if (!(Number.isInteger(o.quality) && o.quality >= 1 && o.quality <= 100)) throw new GenOidError('BAD_OPTIONS', `quality must be an integer 1–100, got ${o.quality}`);
  if (!(o.bigCatShare >= 0 && o.bigCatShare <= 1)) throw new GenOidError('BAD_OPTIONS', `bigCatShare must be in [0, 1], got ${o.bigCatShare}`);
  if (o.boxRows !== undefined && !(Number.isInteger(o.boxRows) && o.boxRows > 0)) throw new GenOidError('BAD_OPTIONS', `boxRows must be a positive integer, got ${o.boxRows}`);
  if (existsSync(o.out) && readdirSync(o.out).length > 0) {
    if (!o.force) throw new GenOidError('OUT_NOT_EMPTY', `${o.out} is not empty (pass force / --force to replace its metadata/, annotations/ and images/)`);
    for (const sub of ['metadata', 'annotations', 'images']) rmSync(path.join(o.out, sub), { recursive: true, force: true });
  }
  const files: string[] = [];
  const put = (rel: string, text: string): void => {
    mkdirSync(path.dirname(path.join(o.out, rel)), { recursive: true });
    writeFileSync(path.join(o.out, rel), text);
    files.push(rel);
  };
  put(fileNames.classes, classDescriptionsText());
  put(fileNames.hierarchy, hierarchyText());

  const sinks = new Map<string, TextSink>();
  const sink = (rel: string, header: string): TextSink => {
    let s = sinks.get(rel);
    if (!s) {
      s = new TextSink(path.join(o.out, rel), header);
      sinks.set(rel, s);
      files.push(rel);
    }
    return s;
  };
  // Every split gets all five files, even if empty, so the layout is always complete.
  for (const split of SPLITS) {
    sink(fileNames.human(split), LABEL_HEADER);
    sink(fileNames.machine(split), LABEL_HEADER);
    sink(fileNames.boxes(split), boxHeader(split));
    if (o.rotationFiles) sink(fileNames.rotation(split), ROTATION_HEADER);
  }
  if (o.jpeg) mkdirSync(path.join(o.out, 'images'), { recursive: true });

  const result: GenerateResult = { out: o.out, images: 0, boxRows: 0, humanLabelRows: 0, machineLabelRows: 0, rotatedImages: 0, files };
  const ids = new ImageIdSequence(o.seed, o.boxRows !== undefined ? Math.ceil(o.boxRows / 2.5) : o.images);
  const drawing = new Set<Promise<void>>();
  for (let index = 0; o.boxRows !== undefined ? result.boxRows < o.boxRows : index < o.images; index++) {
    const img = planImage(o.seed, index, ids.next(), o.bigCatShare);
    const split: Split = img.split;
    // Machine-generated labels (fractional Confidence) go to their own file, as in OID v4–v6.
    sink(fileNames.human(split), '').write(labelLines(img, 'human'));
    sink(fileNames.machine(split), '').write(labelLines(img, 'machine'));
    sink(fileNames.boxes(split), '').write(boxLines(img));
    if (o.rotationFiles) sink(fileNames.rotation(split), '').write(rotationLine(img, o.seed));
    result.images++;
    result.boxRows += img.boxes.length;
    result.humanLabelRows += img.human.length;
    result.machineLabelRows += img.machine.length;
    if (img.rotation) result.rotatedImages++;
    if (o.jpeg) {
      const job = writeJpeg(img, o.out, o.seed, o.quality).then(() => {
        drawing.delete(job);
      });
      drawing.add(job);
      files.push(fileNames.image(img.ImageID));
      if (drawing.size >= o.concurrency) await Promise.race(drawing);
    }
    if (index % 10000 === 0) o.onProgress?.({ images: result.images, boxRows: result.boxRows });
  }
  await Promise.all(drawing);
  for (const s of sinks.values()) s.close();
  o.onProgress?.({ images: result.images, boxRows: result.boxRows });
  return result;
}

async function writeJpeg(img: GenImage, out: string, seed: number, quality: number): Promise<void> {
  writeFileSync(path.join(out, fileNames.image(img.ImageID)), await drawImage(img, seed, quality));
}
