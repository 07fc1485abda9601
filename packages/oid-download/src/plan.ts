import { DownloadError } from './errors.js';

export type DownloadSource = 's3' | 'original' | 'thumbnail';
export const DOWNLOAD_SOURCES: readonly DownloadSource[] = ['s3', 'original', 'thumbnail'];

/** Where OID keeps its images on S3: `<base>/<split>/<ImageID>.jpg`. */
export const DEFAULT_BASE_URL = 'https://s3.amazonaws.com/open-images-dataset';

/** An image the selection wants; Subset (train|validation|test) is needed for the S3 layout. */
export interface ImageRef {
  ImageID: string;
  Subset?: string | null;
}

/** The columns of `<split>-images-with-rotation.csv` that downloading uses. */
export interface ImageMeta {
  ImageID: string;
  Subset: string | null;
  OriginalURL: string | null;
  Thumbnail300KURL: string | null;
  OriginalMD5: string | null;
  License: string | null;
  Author: string | null;
  Rotation: number | null;
}

/** One image to fetch, with everything its output row needs. */
export interface DownloadTask {
  imageId: string;
  subset: string | null;
  url: string;
  /** Base64 MD5 to check; only for --source original (S3 copies and thumbnails are re-encoded). */
  md5: string | null;
  rotation: number | null;
  license: string | null;
  author: string | null;
  originalUrl: string | null;
}

/** An image that cannot even be requested (no split for the S3 path, no URL in the CSV). */
export interface UnplannedImage {
  imageId: string;
  reason: 'NO_SUBSET' | 'NO_URL';
  detail: string;
}

export function checkSource(source: string): DownloadSource {
  if (!(DOWNLOAD_SOURCES as readonly string[]).includes(source)) {
    throw new DownloadError('BAD_SOURCE', `--source must be one of ${DOWNLOAD_SOURCES.join('|')}, got "${source}"`);
  }
  return source as DownloadSource;
}

export function checkBaseUrl(baseUrl: string): string {
  let parsed: URL;
  try {
    parsed = new URL(baseUrl);
  } catch {
    throw new DownloadError('BAD_OPTION', `--base-url is not a URL: "${baseUrl}"`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new DownloadError('BAD_OPTION', `--base-url must be http(s), got "${baseUrl}"`);
  }
  return baseUrl.replace(/\/+$/, '');
}

function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/**
 * Pure core: the fetch list for the selected images. Duplicated ImageIDs are planned once. Images without a usable
 * URL come back in `unplanned` (they are reported, not silently dropped).
 */
export function planDownloads(
  images: Iterable<ImageRef>,
  meta: ReadonlyMap<string, ImageMeta>,
  options: { source: DownloadSource; baseUrl: string },
): { tasks: DownloadTask[]; unplanned: UnplannedImage[] } {
  const tasks: DownloadTask[] = [];
  const unplanned: UnplannedImage[] = [];
  const seen = new Set<string>();
  for (const ref of images) {
    if (seen.has(ref.ImageID)) continue;
    seen.add(ref.ImageID);
    const m = meta.get(ref.ImageID);
    const subset = ref.Subset ?? m?.Subset ?? null;
    let url: string | null;
    if (options.source === 's3') {
      if (!subset) {
        unplanned.push({ imageId: ref.ImageID, reason: 'NO_SUBSET', detail: 'split unknown: not in any annotation or images-with-rotation CSV' });
        continue;
      }
      url = `${options.baseUrl}/${encodeURIComponent(subset)}/${encodeURIComponent(ref.ImageID)}.jpg`;
    } else {
      url = options.source === 'original' ? (m?.OriginalURL ?? null) : (m?.Thumbnail300KURL ?? null);
      if (!url || !isHttpUrl(url)) {
        const column = options.source === 'original' ? 'OriginalURL' : 'Thumbnail300KURL';
        unplanned.push({ imageId: ref.ImageID, reason: 'NO_URL', detail: m ? `${column} is empty or not http(s)` : 'no images-with-rotation row' });
        continue;
      }
    }
    tasks.push({
      imageId: ref.ImageID,
      subset,
      url,
      md5: options.source === 'original' ? (m?.OriginalMD5 ?? null) : null,
      rotation: m?.Rotation ?? null,
      license: m?.License ?? null,
      author: m?.Author ?? null,
      originalUrl: m?.OriginalURL ?? null,
    });
  }
  return { tasks, unplanned };
}
