import type { Command } from 'commander';
import { cliProgressSink, Progress } from '../progress.js';
import { addChipOptions, chipOptions, type ChipFlags } from '../stage-flags.js';

interface ChipsFlags extends ChipFlags {
  boxes: string;
  images: string;
  out: string;
  json?: boolean;
}

export function registerChips(program: Command): void {
  const cmd = program
    .command('chips')
    .description('Cut one JPEG chip per box → OUT/chips.parquet, OUT/chips/<DisplayName>/<ImageID>_<n>.jpg, OUT/errors.jsonl')
    .requiredOption('--boxes <file>', 'boxes.parquet from `oidstream select`')
    .requiredOption('--images <file>', 'images.parquet from `oidstream pack`')
    .requiredOption('--out <dir>', 'output directory');
  addChipOptions(cmd)
    .option('--json', 'progress and the result as JSON lines on stdout')
    .action(async (opts: ChipsFlags) => {
      const { chipsStage } = await import('../stages/chips.js'); // loaded when the command runs, not for --help
      const r = await chipsStage({
        boxes: opts.boxes,
        images: opts.images,
        out: opts.out,
        ...chipOptions(opts),
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
