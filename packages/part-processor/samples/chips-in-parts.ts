/**
 * Cut a chip from the middle of every image of an OID data dir in resumable parts: the checkpoints are kept in a JSON
 * file, so a second run after a kill goes on from the last finished part. Run it:
 * `npx tsx samples/chips-in-parts.ts <data dir with images/> <out dir>`
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CHIPS_FILE, chipsColumns, parquetImageSource, type BoxRow } from '@oidstream/chip-extract';
import { packImages, readParquetRows, type ColumnSpec } from '@oidstream/parquet-io';
import { processPart, runInParts, type CheckpointStore, type StageCheckpoint } from '@oidstream/part-processor';

/** Checkpoints in one JSON file (pipeline keeps them in its run ledger). */
function jsonStore(file: string): CheckpointStore {
  const read = (): Record<string, StageCheckpoint> => (existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {});
  return {
    checkpoint: (stage, key) => (read()[stage]?.key === key ? read()[stage] : undefined),
    saveCheckpoint: async (stage, c) => writeFileSync(file, JSON.stringify({ ...read(), [stage]: c })),
  };
}

export async function main(data: string, out: string) {
  await mkdir(out, { recursive: true });
  const images = path.join(out, 'images.parquet');
  await packImages({ imagesDir: path.join(data, 'images'), out: images });
  const boxes: BoxRow[] = [];
  for await (const r of readParquetRows(images, { columns: ['ImageID'] })) {
    boxes.push({ ImageID: r.ImageID, LabelName: 'middle', DisplayName: 'middle', XMin: 0.25, XMax: 0.75, YMin: 0.25, YMax: 0.75 });
  }
  const parts = [0, 1, 2, 3].map((i) => boxes.filter((_, n) => n % 4 === i)); // one box per image: any split keeps images whole
  const boxColumns: ColumnSpec[] = [
    ...['ImageID', 'LabelName', 'DisplayName'].map((name) => ({ name, type: 'STRING' as const })),
    ...['XMin', 'XMax', 'YMin', 'YMax'].map((name) => ({ name, type: 'DOUBLE' as const })),
  ];
  const source = parquetImageSource(images);
  const r = await runInParts({
    parts,
    stage: 'chips',
    ledger: jsonStore(path.join(out, 'checkpoints.json')),
    outputs: {
      out,
      chipFiles: true,
      chips: { file: path.join(out, CHIPS_FILE), columns: chipsColumns(boxColumns) },
      errors: { file: path.join(out, 'errors.jsonl'), stages: ['chips'] },
    },
    process: (part, outputs) => processPart({ boxes: part, images: source }, outputs),
  });
  console.log(`${r.chips} chips, ${r.errors} errors in ${r.parts} parts (${r.partsReused} reused) → ${path.join(out, CHIPS_FILE)}`);
  return r;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main(process.argv[2]!, process.argv[3]!);
