import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/** The N-API module built from native/jpeg_crop.c. */
export interface NativeBinding {
  crop(jpeg: Uint8Array, regions: Int32Array, quality: number, optimize: boolean, flags: number, maxPixels: number, rotate: number, sizes?: Int32Array, files?: readonly (string | undefined)[]): Promise<{ jpeg?: Buffer; width: number; height: number; pixels?: Buffer; samples?: Buffer[] }[]>;
  libjpegTurboVersion: number;
}

let binding: NativeBinding | undefined;
let loadError: string | undefined;
try {
  // same path from src/ (tests) and dist/ (built)
  binding = createRequire(import.meta.url)('../build/Release/jpeg_crop.node') as NativeBinding;
} catch (err) {
  const e = err as Error & { code?: string };
  const missing = 'build/Release/jpeg_crop.node is missing: its install script did not run (--ignore-scripts, allowScripts false); npm rebuild @oidstream/jpeg-crop builds it';
  loadError = buildError() ?? (e.code === 'MODULE_NOT_FOUND' ? missing : e.message.split('\n')[0]);
}

/** Why the install script could not build the binding (build-native.mjs writes it; npm hides the script's output). */
function buildError(): string | undefined {
  try {
    return readFileSync(new URL('../build/build-error.txt', import.meta.url), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Flags of crop(), as native/jpeg_crop.c. */
export const FLAGS = { pixels: 1, encode: 2, decodeEncoded: 4, ignoreIcc: 8, uprightOnly: 16 } as const;

export { binding, loadError };
