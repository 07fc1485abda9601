import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { ChipOptions } from '@oidstream/chip-extract';
import { parquetColumns, parquetInfo, readParquetRows } from '@oidstream/parquet-io';
import type { Ledger } from './ledger.js';
import { mergeParquetParts, mergeTextParts } from './merge-parts.js';
import type { PartRange } from './part-plan.js';
import { Progress, type StageProgress } from './progress.js';
import { CHIP_COLUMNS, CHIPS_FILE, CHIP_ERRORS_FILE, chipsStage } from './stages/chips.js';

export interface ChipsPartsOptions extends ChipOptions {
  out: string;
  boxes: string;
  images: string;
  ledger: Ledger;
  chipFiles?: boolean;
  /** Boxes per part: the unit of resume inside chips. Default 5,000. */
  rowsPerPart?: number;
  progress?: StageProgress;
}

export interface ChipsPartsResult {
  chips: number;
  errors: number;
  parts: number;
  partsReused: number;
}

/**
 * Part boundaries over boxes.parquet that never split an image: chip ids number an image's boxes 0, 1, … within one
 * chipsStage call, so all boxes of an image must be in the same part. Cuts are placed at the first image change at or
 * after every `rowsPerPart` rows. If an image's boxes are not contiguous in the file, the whole file is one part.
 */
export async function planChipParts(boxes: string, rowsPerPart: number): Promise<PartRange[]> {
  const seen = new Set<string>();
  const cuts = [0];
  let row = 0;
  let last: string | undefined;
  let contiguous = true;
  for await (const r of readParquetRows(boxes, { columns: ['ImageID'] })) {
    const id = String(r.ImageID);
    if (id !== last) {
      if (seen.has(id)) contiguous = false;
      seen.add(id);
      if (row - cuts[cuts.length - 1] >= rowsPerPart) cuts.push(row);
      last = id;
    }
    row++;
  }
  const bounds = contiguous ? [...cuts, row] : [0, row];
  const count = bounds.length - 1;
  return Array.from({ length: count }, (_, index) => ({
    index, count, rowStart: bounds[index], rowEnd: bounds[index + 1],
    key: `${String(index).padStart(5, '0')}-of-${String(count).padStart(5, '0')}-at-${bounds[index]}`,
  }));
}

/** Move a part's chip files into OUT/chips (same file system: renames). */
async function moveChipFiles(from: string, to: string): Promise<void> {
  if (!existsSync(from)) return;
  for (const e of await readdir(from, { withFileTypes: true })) {
    const src = path.join(from, e.name);
    const dst = path.join(to, e.name);
    if (e.isDirectory()) {
      await mkdir(dst, { recursive: true });
      await moveChipFiles(src, dst);
    } else {
      await rename(src, dst);
    }
  }
}

/**
 * The chips stage in resumable parts: each part is the chips stage itself run on a slice of boxes.parquet into
 * OUT/.oidstream/parts/chips/<part>/, its chip files moved into OUT/chips, then recorded in the ledger. A rerun
 * skips recorded parts; the parts are merged in order into chips.parquet and errors.jsonl.
 */
export async function chipsInParts(o: ChipsPartsOptions): Promise<ChipsPartsResult> {
  const parts = await planChipParts(o.boxes, o.rowsPerPart ?? 5000);
  const columns = await parquetColumns(o.boxes);
  const total = (await parquetInfo(o.boxes)).rows;
  o.progress?.setTotal(total);
  const partDir = (p: PartRange) => path.join(o.out, '.oidstream', 'parts', 'chips', `part-${p.key}`);
  let reused = 0;
  let before = 0;
  for (const part of parts) {
    const dir = partDir(part);
    if (await o.ledger.finishedPart('chips', part.key)) {
      reused++;
      before += part.rowEnd - part.rowStart;
      o.progress?.set(before);
      continue;
    }
    const t0 = performance.now();
    await rm(dir, { recursive: true, force: true }); // a part a kill interrupted starts clean
    const base = before;
    const forward = new Progress((e) => {
      if (e.type === 'progress') o.progress?.set(base + e.done);
    }, { intervalMs: 0 });
    const r = await chipsStage({
      quality: o.quality, padding: o.padding, square: o.square, maxSide: o.maxSide, minBoxSize: o.minBoxSize,
      boxes: { columns, rows: part.rowEnd > part.rowStart ? readParquetRows(o.boxes, { rowStart: part.rowStart, rowEnd: part.rowEnd }) : [] },
      images: o.images,
      out: dir,
      chipFiles: o.chipFiles ?? true,
      progress: forward,
    });
    await moveChipFiles(path.join(dir, 'chips'), path.join(o.out, 'chips'));
    const rel = (f: string) => path.relative(o.out, path.join(dir, f));
    await o.ledger.markPart('chips', part.key, [rel(CHIPS_FILE), rel(CHIP_ERRORS_FILE)], performance.now() - t0, { chips: r.chips, errors: r.errors });
    before += part.rowEnd - part.rowStart;
  }
  const merged = await mergeParquetParts(parts.map((p) => path.join(partDir(p), CHIPS_FILE)), path.join(o.out, CHIPS_FILE), [...columns, ...CHIP_COLUMNS]);
  await mergeTextParts(parts.map((p) => path.join(partDir(p), CHIP_ERRORS_FILE)), path.join(o.out, CHIP_ERRORS_FILE));
  let errors = 0;
  for (const p of parts) errors += (o.ledger.data.parts.chips?.[p.key]?.counts.errors ?? 0);
  return { chips: merged.rows, errors, parts: parts.length, partsReused: reused };
}
