import type { Command } from 'commander';
import { PipelineError } from '../errors.js';
import { cliProgressSink, Progress } from '../progress.js';
import { chipsStage } from '../stages/chips.js';

function num(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new PipelineError('BAD_OPTION', `${flag} must be a number, got ${JSON.stringify(v)}`);
  return n;
}

interface ChipsFlags {
  boxes: string;
  images: string;
  out: string;
  quality?: string;
  padding?: string;
  square?: boolean;
  maxSide?: string;
  minChipSize?: string;
  chipFiles: boolean;
  json?: boolean;
}

export function registerChips(program: Command): void {
  program
    .command('chips')
    .description('Cut one JPEG chip per box → OUT/chips.parquet, OUT/chips/<DisplayName>/<ImageID>_<n>.jpg, OUT/errors.jsonl')
    .requiredOption('--boxes <file>', 'boxes.parquet from `oidstream select`')
    .requiredOption('--images <file>', 'images.parquet from `oidstream pack`')
    .requiredOption('--out <dir>', 'output directory')
    .option('--quality <n>', 'chip JPEG quality 1–100 (default 90)')
    .option('--padding <pct>', 'grow each box by this % of its size (default 0)')
    .option('--square', 'square chips')
    .option('--max-side <px>', 'scale chips down to this longest side')
    .option('--min-chip-size <px>', 'boxes smaller than this many pixels become errors (default 1)')
    .option('--no-chip-files', 'do not write chips/<DisplayName>/<chip_id>.jpg files')
    .option('--json', 'progress and the result as JSON lines on stdout')
    .action(async (opts: ChipsFlags) => {
      const r = await chipsStage({
        boxes: opts.boxes,
        images: opts.images,
        out: opts.out,
        quality: num('--quality', opts.quality),
        padding: num('--padding', opts.padding),
        square: opts.square,
        maxSide: num('--max-side', opts.maxSide),
        minBoxSize: num('--min-chip-size', opts.minChipSize),
        chipFiles: opts.chipFiles,
        progress: new Progress(cliProgressSink(Boolean(opts.json))),
      });
      if (opts.json) {
        process.stdout.write(JSON.stringify({ chips: r.file, rows: r.chips, boxes: r.boxes, errors: r.errors, errorsFile: r.errorsFile, seconds: r.ms / 1000, imageBytesRead: r.imageBytesRead, imageFileBytes: r.imageFileBytes }) + '\n');
        return;
      }
      const pct = r.imageFileBytes ? ((100 * r.imageBytesRead) / r.imageFileBytes).toFixed(1) : '0';
      process.stderr.write(
        `${r.chips} chips from ${r.boxes} boxes → ${r.file}` +
          `${r.errors ? `; ${r.errors} boxes gave no chip, see ${r.errorsFile}` : ''}` +
          ` (read ${pct}% of the images file, ${(r.ms / 1000).toFixed(1)} s)\n`,
      );
    });
}
