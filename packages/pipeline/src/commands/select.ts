import { statSync } from 'node:fs';
import type { Command } from 'commander';
import { numberIn } from '../cli-values.js';
import { cliProgressSink, Progress, type StageProgress } from '../progress.js';
import { findDataFiles, selectStage, SELECT_DEFAULTS } from '../stages/select.js';

interface SelectFlags {
  data: string;
  out: string;
  classes?: string[];
  under?: string[];
  minConfidence?: string;
  minBoxSize?: string;
  excludeGroupOf?: boolean;
  excludeDepiction?: boolean;
  excludeOccluded?: boolean;
  excludeTruncated?: boolean;
  excludeInside?: boolean;
}

const collect = (v: string, acc: string[] = []): string[] => [...acc, v];

export function registerSelect(program: Command): void {
  program
    .command('select')
    .description('Select the boxes of chosen classes on images labelled with them → OUT/boxes.parquet, OUT/labels-summary.json')
    .requiredOption('--data <dir>', 'OID data dir (metadata/, annotations/)')
    .requiredOption('--out <dir>', 'output dir')
    .option('--classes <names>', 'display names or MIDs, comma-separated; repeatable (default: the six big cats)', collect)
    .option('--under <name>', 'every class below this one in the hierarchy; repeatable', collect)
    .option('--min-confidence <p>', `keep image labels with Confidence > p (default ${SELECT_DEFAULTS.minConfidence})`)
    .option('--exclude-group-of', 'drop boxes with IsGroupOf = 1')
    .option('--exclude-depiction', 'drop boxes with IsDepiction = 1')
    .option('--exclude-occluded', 'drop boxes with IsOccluded = 1')
    .option('--exclude-truncated', 'drop boxes with IsTruncated = 1')
    .option('--exclude-inside', 'drop boxes with IsInside = 1')
    .option('--min-box-size <f>', 'drop boxes narrower or lower than this fraction of the image (0–1)')
    .action(async (opts: SelectFlags) => {
      const minConfidence = numberIn('--min-confidence', opts.minConfidence, 0, 1);
      const minBoxSize = numberIn('--min-box-size', opts.minBoxSize, 0, 1);
      const files = await findDataFiles(opts.data);
      const totalMB = (list: string[]): number => list.reduce((s, f) => s + statSync(f).size, 0) / 1e6;
      const progress = new Progress(cliProgressSink(false), { intervalMs: 1000 });
      const stages: Partial<Record<'labels' | 'boxes', { stage: StageProgress; before: number; file: string; done: number }>> = {};
      let badShown = 0;
      const result = await selectStage({
        data: opts.data, out: opts.out, classes: opts.classes, under: opts.under, minConfidence, minBoxSize,
        excludeGroupOf: opts.excludeGroupOf, excludeDepiction: opts.excludeDepiction, excludeOccluded: opts.excludeOccluded,
        excludeTruncated: opts.excludeTruncated, excludeInside: opts.excludeInside,
        onBadRow: (b) => {
          if (badShown++ < 10) process.stderr.write(`oidstream select: skipped ${b.file}:${b.line}: ${b.message}\n`);
        },
        onProgress: (p) => {
          let s = stages[p.phase];
          if (!s) {
            if (p.phase === 'boxes') stages.labels?.stage.end();
            s = stages[p.phase] = {
              stage: progress.stage(`select ${p.phase}`, 'MB', Math.round(totalMB(p.phase === 'labels' ? files.labels : files.boxes))),
              before: 0, file: p.file, done: 0,
            };
          }
          if (s.file !== p.file) {
            s.before += s.done;
            s.file = p.file;
          }
          s.done = p.bytesRead;
          s.stage.set(Math.round((s.before + p.bytesRead) / 1e6));
        },
      });
      stages.labels?.stage.end();
      stages.boxes?.stage.end();
      if (badShown > 10) process.stderr.write(`oidstream select: ${badShown} bad rows in all (first 20 in labels-summary.json)\n`);
      const c = result.counts;
      process.stderr.write(
        `selected ${c.boxes} boxes of ${c.classes} classes on ${c.imagesWithBoxes} images (${c.selectedImages} images labelled)` +
          ` → ${result.boxesPath}, ${result.summaryPath}\n`,
      );
    });
}
