import path from 'node:path';
import { isValidImageId } from '@oidstream/parquet-io';
import { ChipExtractError } from './errors.js';

/**
 * A class folder name from a DisplayName (or LabelName): letters, digits, space, `_ ( ) & ' , -` kept,
 * anything else (slashes, dots, control characters) becomes `_`; never empty, never `.`/`..`, ≤ 100 chars.
 */
export function safeFolderName(name: unknown): string {
  const raw = typeof name === 'string' ? name : '';
  let s = raw.normalize('NFC').replace(/[^\p{L}\p{N} _()&',-]/gu, '_').trim().slice(0, 100);
  if (/^_*$/.test(s)) s = 'unknown';
  return s;
}

/** The folder of chip files in an output folder: one subfolder per class. */
export const CHIPS_FOLDER = 'chips';

/** `chips/<DisplayName>/<ImageID>_<n>.jpg` relative to the output folder, from validated parts only. */
export function chipRelativePath(className: unknown, imageId: string, n: number): string {
  if (!isValidImageId(imageId) || !Number.isInteger(n) || n < 0) {
    throw new ChipExtractError('UNSAFE_PATH', `refusing to build a chip path from ImageID ${JSON.stringify(imageId)} and index ${n}`);
  }
  return path.posix.join(CHIPS_FOLDER, safeFolderName(className), `${imageId}_${n}.jpg`);
}

/** Absolute path of a relative chip path under `outDir`; throws if it would escape `outDir`. */
export function resolveInside(outDir: string, relative: string): string {
  const root = path.resolve(outDir);
  const full = path.resolve(root, relative);
  if (!full.startsWith(root + path.sep)) {
    throw new ChipExtractError('UNSAFE_PATH', `chip path ${JSON.stringify(relative)} escapes ${root}`);
  }
  return full;
}
