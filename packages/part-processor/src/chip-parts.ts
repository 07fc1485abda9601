import { readParquetRows } from '@oidstream/parquet-io';
import type { PartRange } from './part-plan.js';

/**
 * Part boundaries over boxes.parquet that never split an image: chip ids number an image's boxes 0, 1, … within one
 * chipsStage call, so all boxes of an image must be in the same part. Cuts are placed at the first image change at or
 * after every `rowsPerPart` rows. If an image's boxes are not contiguous in the file, the whole file is one part.
 */
export async function planChipParts(boxes: string, rowsPerPart: number): Promise<PartRange[]> {
  const seen = new Set<string>();
  const cuts = [0];
  let row = 0;
  let last: string | undefined;
  let contiguous = true;
  for await (const r of readParquetRows(boxes, { columns: ['ImageID'] })) {
    const id = String(r.ImageID);
    if (id !== last) {
      if (seen.has(id)) contiguous = false;
      seen.add(id);
      if (row - cuts[cuts.length - 1] >= rowsPerPart) cuts.push(row);
      last = id;
    }
    row++;
  }
  const bounds = contiguous ? [...cuts, row] : [0, row];
  const count = bounds.length - 1;
  return Array.from({ length: count }, (_, index) => ({
    index, count, rowStart: bounds[index], rowEnd: bounds[index + 1],
    key: `${String(index).padStart(5, '0')}-of-${String(count).padStart(5, '0')}-at-${bounds[index]}`,
  }));
}
