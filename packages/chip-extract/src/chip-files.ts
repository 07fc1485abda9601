import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { resolveInside } from './chip-path.js';
import type { ChipRecord } from './records.js';

/**
 * Write a chip to `outDir/<chip_path>` atomically (temp + rename); refuses paths outside `outDir`.
 * Pass the same `createdDirs` set across calls to skip mkdir for class folders already made.
 * Synchronous underneath on purpose: sharp keeps libuv's threadpool busy, and four async fs calls per chip
 * would queue behind it, while a small synchronous write costs the (mostly idle) main thread microseconds.
 */
export async function writeChipFile(outDir: string, chip: ChipRecord, createdDirs?: Set<string>): Promise<string> {
  const full = resolveInside(outDir, chip.chip_path);
  const dir = path.dirname(full);
  if (!createdDirs?.has(dir)) {
    mkdirSync(dir, { recursive: true });
    createdDirs?.add(dir);
  }
  const tmp = `${full}.tmp-${randomBytes(4).toString('hex')}`;
  try {
    writeFileSync(tmp, chip.chip);
    renameSync(tmp, full);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  return full;
}
