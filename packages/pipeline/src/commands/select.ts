import { statSync } from 'node:fs';
import type { Command } from 'commander';
import { cliProgressSink, Progress, type StageProgress } from '../progress.js';
import { addSelectionOptions, selectionOptions, type SelectionFlags } from '../stage-flags.js';
import { resolveSelection } from '@oidstream/oid-join/options';

interface SelectFlags extends SelectionFlags {
  data: string;
  out: string;
}

export function registerSelect(program: Command): void {
  const cmd = program
    .command('select')
    .description('Select the boxes of chosen classes on images labelled with them → OUT/boxes.parquet, OUT/labels-summary.json')
    .requiredOption('--data <dir>', 'OID data dir (metadata/, annotations/)')
    .requiredOption('--out <dir>', 'output dir');
  addSelectionOptions(cmd).action(async (opts: SelectFlags) => {
    const selection = selectionOptions(opts); // flag values checked before any scan
    const { selectionFiles } = await import('@oidstream/oid-join'); // the CSV scan: loaded to run, not for --help
    const files = await selectionFiles({ data: opts.data, ...selection }, resolveSelection({ data: opts.data, ...selection }));
    const labelFiles = files.labels.flatMap((l) => l.files);
    const totalMB = (list: string[]): number => list.reduce((s, f) => s + statSync(f).size, 0) / 1e6;
    const progress = new Progress(cliProgressSink(false), { intervalMs: 1000 });
    const stages: Partial<Record<'labels' | 'boxes', { stage: StageProgress; before: number; file: string; done: number }>> = {};
    let badShown = 0;
    const result = await (await import('../stages/select.js')).selectStage({
      data: opts.data, out: opts.out, ...selection,
      onBadRow: (b) => {
        if (badShown++ < 10) process.stderr.write(`oidstream select: skipped ${b.file}:${b.line}: ${b.message}\n`);
      },
      onProgress: (p) => {
        let s = stages[p.phase];
        if (!s) {
          if (p.phase === 'boxes') stages.labels?.stage.end();
          s = stages[p.phase] = {
            stage: progress.stage(`select ${p.phase}`, 'MB', Math.round(totalMB(p.phase === 'labels' ? labelFiles : files.boxes))),
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
    const dups = result.summary.totals.duplicateBoxes;
    if (dups) process.stderr.write(`oidstream select: ${dups} duplicate box rows dropped (each the same as a box kept before)\n`);
    const c = result.counts;
    const limit = result.summary.limit;
    process.stderr.write(
      `selected ${c.boxes} boxes of ${c.classes} classes on ${c.imagesWithBoxes} images (${c.selectedImages} images labelled` +
        `${limit ? `; at most ${limit.maxPerClass} per class, seed ${limit.seed}: ${limit.limitedClasses} classes limited` : ''})` +
        ` → ${result.boxesPath}, ${result.summaryPath}\n`,
    );
  });
}
