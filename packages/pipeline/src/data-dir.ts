import { existsSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { PipelineError } from './errors.js';

/** What `run` finds in a data directory (DESIGN.md layout). */
export interface DataDirLayout {
  data: string;
  metadata: string;
  annotations: string;
  /** images.parquet ready to use; else a folder that `pack` turns into one; neither when `run --download` fetches them. */
  imagesParquet?: string;
  imagesFolder?: string;
  /** `<split>-images-with-rotation.csv` files (optional in OID). */
  rotationCsvs: string[];
}

/** `imagesOptional`: a data dir without images is accepted (run --download fetches them). */
export async function inspectDataDir(data: string, { imagesOptional = false } = {}): Promise<DataDirLayout> {
  if (!existsSync(data) || !statSync(data).isDirectory()) {
    throw new PipelineError('DATA_DIR_INVALID', `--data ${data} is not a directory`);
  }
  const metadata = path.join(data, 'metadata');
  const annotations = path.join(data, 'annotations');
  for (const [dir, what] of [[metadata, 'metadata/ (class descriptions, hierarchy)'], [annotations, 'annotations/ (labels, boxes)']] as const) {
    if (!existsSync(dir)) throw new PipelineError('DATA_DIR_INVALID', `${data} has no ${what}`);
  }
  const imagesParquet = path.join(data, 'images.parquet');
  const imagesFolder = path.join(data, 'images');
  const hasParquet = existsSync(imagesParquet);
  const hasFolder = existsSync(imagesFolder) && statSync(imagesFolder).isDirectory();
  if (!hasParquet && !hasFolder && !imagesOptional) {
    throw new PipelineError('DATA_DIR_INVALID', `${data} has neither images.parquet nor an images/ folder (add --download to fetch the selected images)`);
  }
  const rotationCsvs = (await readdir(annotations)).filter((f) => f.endsWith('-images-with-rotation.csv')).sort().map((f) => path.join(annotations, f));
  return {
    data, metadata, annotations, rotationCsvs,
    ...(hasParquet ? { imagesParquet } : hasFolder ? { imagesFolder } : {}),
  };
}
