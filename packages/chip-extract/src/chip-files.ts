import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { resolveInside } from './chip-path.js';
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
