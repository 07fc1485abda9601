import { createHash } from 'node:crypto';

type Row = Record<string, unknown>;

export interface CalibrationSampleOptions {
  /** Images kept. Default 256. */
  size?: number;
  /** Field whose value orders the pick (stable across runs and workers). Default 'chip_id'. */
  idField?: string;
  /** Field with the encoded image. Default 'chip'. */
  imageField?: string;
}

/**
 * A deterministic sample of a stream of chip records: the `size` records with the smallest sha1 of their id — the
 * same picks whatever the order of the records, in bounded memory (2 × size images at most).
 */
export async function calibrationSample(source: AsyncIterable<Row> | Iterable<Row>, options: CalibrationSampleOptions = {}): Promise<Uint8Array[]> {
  const size = options.size ?? 256;
  const idField = options.idField ?? 'chip_id';
  const imageField = options.imageField ?? 'chip';
  let kept: { h: string; image: Uint8Array }[] = [];
  const trim = () => {
    kept.sort((a, b) => (a.h < b.h ? -1 : a.h > b.h ? 1 : 0));
    kept = kept.slice(0, size);
  };
  for await (const r of source) {
    const image = r[imageField];
    if (!(image instanceof Uint8Array) || image.byteLength === 0) continue;
    kept.push({ h: createHash('sha1').update(String(r[idField])).digest('hex'), image });
    if (kept.length >= 2 * size) trim();
  }
  trim();
  return kept.map((k) => k.image);
}
