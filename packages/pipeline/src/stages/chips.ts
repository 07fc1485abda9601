import { randomBytes } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import {
  errorToJson,
  extractChips,
  parquetImageSource,
  resolveChipOptions,
  writeChipFile,
  type BoxRow,
  type ChipOptions,
} from '@oidstream/chip-extract';
import { ParquetFileWriter, parquetColumns, parquetInfo, readParquetRows, type ColumnSpec } from '@oidstream/parquet-io';
import sharp from 'sharp';
import { PipelineError } from '../errors.js';
import type { Progress } from '../progress.js';

export const CHIPS_FILE = 'chips.parquet';
export const CHIP_ERRORS_FILE = 'errors.jsonl';

/** Columns chips.parquet adds to the box columns (the shared contract). */
export const CHIP_COLUMNS: ColumnSpec[] = [
  { name: 'chip_id', type: 'STRING', nullable: false },
  { name: 'chip', type: 'BYTE_ARRAY', nullable: false },
  { name: 'chip_width', type: 'INT32', nullable: false },
  { name: 'chip_height', type: 'INT32', nullable: false },
  { name: 'chip_path', type: 'STRING', nullable: false },
];

export interface ChipsStageOptions extends ChipOptions {
  /** boxes.parquet from `oidstream select`, or box rows streamed from an earlier stage with their column spec. */
  boxes: string | { rows: AsyncIterable<BoxRow> | Iterable<BoxRow>; columns: ColumnSpec[] };
  /** images.parquet from `oidstream pack`. */
  images: string;
  /** Output folder: chips.parquet, chips/<DisplayName>/<ImageID>_<n>.jpg, errors.jsonl. */
  out: string;
  /** Also write one JPEG file per chip (default true). */
  chipFiles?: boolean;
  progress?: Progress;
}

export interface ChipsStageResult {
  file: string;
  chips: number;
  errors: number;
  errorsFile: string;
  boxes: number;
  ms: number;
  /** Bytes of images.parquet actually read vs its size (selective read by ImageID). */
  imageBytesRead: number;
  imageFileBytes: number;
}

/**
 * `oidstream chips`: boxes.parquet + images.parquet → OUT/chips.parquet (box columns + chip_id, chip, chip_width,
 * chip_height, chip_path), OUT/chips/… files, and one errors.jsonl line per box that gave no chip. Every output
 * is written under a temp name and renamed when complete.
 */
export async function chipsStage(options: ChipsStageOptions): Promise<ChipsStageResult> {
  const t0 = performance.now();
  resolveChipOptions(options); // bad options fail before any output is touched
  const boxesPath = typeof options.boxes === 'string' ? options.boxes : undefined;
  const boxesName = boxesPath ?? 'the box rows';
  const boxColumns = boxesPath ? await parquetColumns(boxesPath) : (options.boxes as { columns: ColumnSpec[] }).columns;
  for (const c of ['ImageID', 'XMin', 'XMax', 'YMin', 'YMax']) {
    if (!boxColumns.some((b) => b.name === c)) {
      throw new PipelineError('BAD_OPTION', `${boxesName} has no ${c} column: is it a boxes.parquet from \`oidstream select\`?`);
    }
  }
  const clash = boxColumns.find((b) => CHIP_COLUMNS.some((c) => c.name === b.name));
  if (clash) throw new PipelineError('BAD_OPTION', `${boxesName} already has a ${clash.name} column`);
  const images = parquetImageSource(options.images);
  await mkdir(options.out, { recursive: true });
  const file = path.join(options.out, CHIPS_FILE);
  const errorsFile = path.join(options.out, CHIP_ERRORS_FILE);
  const chipFiles = options.chipFiles ?? true;
  const stage = options.progress?.stage('chips', 'boxes', boxesPath ? (await parquetInfo(boxesPath)).rows : undefined);
  // every image is decoded once: libvips' operation cache (50 MB by default) would only hold dead pixels
  sharp.cache(false);
  const errors = await ErrorLog.open(errorsFile, 'chips');
  // 16 MiB row groups keep this writer's buffer and classify's reads small
  let writer: ParquetFileWriter;
  try {
    writer = ParquetFileWriter.open(file, [...boxColumns, ...CHIP_COLUMNS], { rowGroupBytes: 16 * 1024 * 1024 });
  } catch (err) {
    await errors.abort();
    throw err;
  }
  let boxes = 0;
  let chips = 0;
  const createdDirs = new Set<string>();
  try {
    const source = boxesPath ? readParquetRows(boxesPath) : (options.boxes as { rows: AsyncIterable<BoxRow> | Iterable<BoxRow> }).rows;
    async function* boxRows(): AsyncGenerator<BoxRow> {
      for await (const row of source) {
        boxes++;
        yield row;
      }
    }
    for await (const r of extractChips(boxRows(), images, options)) {
      if (r.kind === 'chip') {
        if (chipFiles) await writeChipFile(options.out, r, createdDirs);
        writer.write({ ...r.box, chip_id: r.chip_id, chip: r.chip, chip_width: r.chip_width, chip_height: r.chip_height, chip_path: r.chip_path });
        chips++;
      } else {
        await errors.write(errorToJson(r));
      }
      stage?.add(1);
    }
    writer.finish();
    await errors.commit();
  } catch (err) {
    writer.abort();
    await errors.abort();
    stage?.end('failed');
    throw err;
  }
  stage?.end('done', `${chips} chips, ${errors.count} errors`);
  return {
    file,
    chips,
    errors: errors.count,
    errorsFile,
    boxes,
    ms: performance.now() - t0,
    imageBytesRead: images.stats.bytesRead,
    imageFileBytes: images.stats.fileBytes,
  };
}

/**
 * errors.jsonl shared by stages in one output folder: this stage's lines replace its previous ones,
 * other stages' lines are kept; the new file is renamed into place on commit.
 */
class ErrorLog {
  count = 0;
  private constructor(
    private readonly file: string,
    private readonly tmp: string,
    private readonly stage: string,
    private readonly fh: import('node:fs/promises').FileHandle,
  ) {}

  static async open(file: string, stage: string): Promise<ErrorLog> {
    const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    return new ErrorLog(file, tmp, stage, await open(tmp, 'w'));
  }

  async write(record: Record<string, unknown>): Promise<void> {
    this.count++;
    await this.fh.write(JSON.stringify({ stage: this.stage, ...record }) + '\n');
  }

  async commit(): Promise<void> {
    if (existsSync(this.file)) {
      for await (const line of createInterface({ input: createReadStream(this.file, 'utf8'), crlfDelay: Infinity })) {
        if (!line.trim()) continue;
        let stage: unknown;
        try {
          stage = (JSON.parse(line) as { stage?: unknown }).stage;
        } catch {
          stage = undefined;
        }
        if (stage !== this.stage) await this.fh.write(line + '\n');
      }
    }
    await this.fh.sync();
    await this.fh.close();
    await rename(this.tmp, this.file);
  }

  async abort(): Promise<void> {
    await this.fh.close().catch(() => undefined);
    await rm(this.tmp, { force: true });
  }
}
