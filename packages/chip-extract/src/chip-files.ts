import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { resolveInside } from './chip-path.js';
import type { ChipRecord } from './records.js';

/**
 * Write a chip to `outDir/<chip_path>` atomically (temp + rename); refuses paths outside `outDir`.
 * Pass the same `createdDirs` set across calls to skip mkdir for class folders already made.
 */
export async function writeChipFile(outDir: string, chip: ChipRecord, createdDirs?: Set<string>): Promise<string> {
  const full = resolveInside(outDir, chip.chip_path);
  const dir = path.dirname(full);
  if (!createdDirs?.has(dir)) {
    await mkdir(dir, { recursive: true });
    createdDirs?.add(dir);
  }
  const tmp = `${full}.tmp-${randomBytes(4).toString('hex')}`;
  try {
    await writeFile(tmp, chip.chip);
    await rename(tmp, full);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  return full;
}
