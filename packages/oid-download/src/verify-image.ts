import { createHash } from 'node:crypto';
import sharp from 'sharp';

export type VerifyFailure = { reason: 'BAD_MD5' | 'NOT_IMAGE'; detail: string };

/** Base64 MD5, the encoding of OID's `OriginalMD5` column. */
export function md5Base64(bytes: Uint8Array): string {
  return createHash('md5').update(bytes).digest('base64');
}

/**
 * Checks that the bytes are an image sharp can read (format and dimensions from the header) and, when `expectedMd5`
 * is given, that they are exactly the original file.
 */
export async function verifyImage(bytes: Uint8Array, expectedMd5?: string): Promise<VerifyFailure | undefined> {
  if (expectedMd5) {
    const actual = md5Base64(bytes);
    if (actual !== expectedMd5) return { reason: 'BAD_MD5', detail: `md5 ${actual} != expected ${expectedMd5}` };
  }
  try {
    const meta = await sharp(bytes, { failOn: 'error' }).metadata();
    if (!meta.format || !meta.width || !meta.height) return { reason: 'NOT_IMAGE', detail: 'no image format or size in header' };
    return undefined;
  } catch (err) {
    return { reason: 'NOT_IMAGE', detail: err instanceof Error ? err.message : String(err) };
  }
}
