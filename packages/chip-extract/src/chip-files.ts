import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { removeStaleTemps } from '@oidstream/parquet-io';
import { CHIPS_FOLDER, resolveInside } from './chip-path.js';
import type { ChipRecord } from './records.js';

/**
 * Absolute path of a chip file, `outDir/<chip_path>`, with its class folder made (refuses paths outside `outDir`).
 * Pass the same `createdDirs` set across calls to skip mkdir for class folders already made.
 */
export function chipFilePath(outDir: string, chipPath: string, createdDirs?: Set<string>): string {
  const full = resolveInside(outDir, chipPath);
  const dir = path.dirname(full);
  if (!createdDirs?.has(dir)) {
    mkdirSync(dir, { recursive: true });
    createdDirs?.add(dir);
  }
  return full;
}

/**
 * Write a chip to `outDir/<chip_path>` atomically (temp + rename). extractChips' `writeTo` option does this as chips
 * are cut (off the main thread for chips cut by libjpeg-turbo); this is the same for chips made another way.
 */
export async function writeChipFile(outDir: string, chip: ChipRecord, createdDirs?: Set<string>): Promise<string> {
  const full = chipFilePath(outDir, chip.chip_path, createdDirs);
  const tmp = `${full}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    writeFileSync(tmp, chip.chip);
    renameSync(tmp, full);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  return full;
}

/**
 * Remove the chip temp files a killed run left under `outDir/chips/<class>/` (`<chip>.jpg.tmp-<pid>-<hex>` whose
 * writer is gone from this host); returns how many. Run it before writing chips into a folder a run may have left.
 */
export async function removeStaleChipTemps(outDir: string): Promise<number> {
  const chips = path.join(outDir, CHIPS_FOLDER);
  const classes = await readdir(chips, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  let removed = 0;
  for (const c of classes) if (c.isDirectory()) removed += await removeStaleTemps(path.join(chips, c.name));
  return removed;
}
