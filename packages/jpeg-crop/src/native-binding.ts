import { createRequire } from 'node:module';

/** The N-API module built from native/jpeg_crop.c. */
export interface NativeBinding {
  crop(jpeg: Uint8Array, regions: Int32Array, quality: number, optimize: boolean, flags: number, maxPixels: number): Promise<{ jpeg?: Buffer; width: number; height: number; pixels?: Buffer }[]>;
  libjpegTurboVersion: number;
}

let binding: NativeBinding | undefined;
let loadError: string | undefined;
try {
  // same path from src/ (tests) and dist/ (built)
  binding = createRequire(import.meta.url)('../build/Release/jpeg_crop.node') as NativeBinding;
} catch (err) {
  loadError = (err as Error).message.split('\n')[0];
}

/** Flags of crop(), as native/jpeg_crop.c. */
export const FLAGS = { pixels: 1, encode: 2, decodeEncoded: 4, ignoreIcc: 8, uprightOnly: 16 } as const;

export { binding, loadError };
