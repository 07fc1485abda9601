import type { Command } from 'commander';
import { cliProgressSink, Progress } from '../progress.js';
import { chipsStage } from '../stages/chips.js';

export function registerChips(program: Command): void {
  program
    .command('chips')
    .description('Cut one JPEG chip per box → OUT/chips.parquet, OUT/chips/<DisplayName>/<ImageID>_<n>.jpg, OUT/errors.jsonl')
    .requiredOption('--boxes <file>', 'boxes.parquet from `oidstream select`')
    .requiredOption('--images <file>', 'images.parquet from `oidstream pack`')
    .requiredOption('--out <dir>', 'output directory')
    .action(async (opts: { boxes: string; images: string; out: string }) => {
      const r = await chipsStage({ boxes: opts.boxes, images: opts.images, out: opts.out, progress: new Progress(cliProgressSink(false)) });
      const pct = r.imageFileBytes ? ((100 * r.imageBytesRead) / r.imageFileBytes).toFixed(1) : '0';
      process.stderr.write(
        `${r.chips} chips from ${r.boxes} boxes → ${r.file}` +
          `${r.errors ? `; ${r.errors} boxes gave no chip, see ${r.errorsFile}` : ''}` +
          ` (read ${pct}% of the images file, ${(r.ms / 1000).toFixed(1)} s)\n`,
      );
    });
}
