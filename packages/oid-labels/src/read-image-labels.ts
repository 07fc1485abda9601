import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { type BadRow, type ImageLabel, imageLabelColumns, toImageLabel } from './records.js';
import { OidLabelsError } from './errors.js';

export interface ReadImageLabelsOptions {
  /** Called for every row that cannot be typed (default: collected nowhere, i.e. warn via the callback you pass). */
  onBadRow?: (bad: BadRow) => void;
}

/**
 * Stream the typed rows of one image-label CSV (header-driven columns). Bad rows go to `onBadRow` with file and line
 * and the scan continues. For a filtered, much faster scan of many files see `@oidstream/oid-join`'s `scanCsvFiles`.
 */
export async function* readImageLabels(file: string, options: ReadImageLabelsOptions = {}): AsyncGenerator<ImageLabel> {
  const onBadRow = options.onBadRow ?? (() => {});
  const input = createReadStream(file);
  const opened = new Promise<void>((resolve, reject) => {
    input.once('open', () => resolve());
    input.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'ENOENT' ? new OidLabelsError('MISSING_FILE', `${file}: no such file`, undefined, { cause: err }) : err),
    );
  });
  await opened;
  const parser = input.pipe(
    parse({
      bom: true,
      record_delimiter: ['\r\n', '\n'],
      relax_column_count: true,
      skip_records_with_error: true,
      info: true,
      on_skip: (err) => {
        onBadRow({ file, line: (err as Error & { lines?: number } | undefined)?.lines ?? 0, message: err?.message ?? 'bad CSV' });
        return undefined;
      },
    }),
  );
  let cols: ReturnType<typeof imageLabelColumns> | undefined;
  for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
    if (!cols) {
      cols = imageLabelColumns(record, file);
      continue;
    }
    const label = toImageLabel(record, cols);
    if (typeof label === 'string') onBadRow({ file, line: info.lines, message: label });
    else yield label;
  }
}

/** Node stream face of `readImageLabels` (object mode). */
export function imageLabelStream(file: string, options: ReadImageLabelsOptions = {}): Readable {
  return Readable.from(readImageLabels(file, options), { objectMode: true });
}
