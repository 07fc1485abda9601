import type { Command } from 'commander';
import { BACKEND_ORDER, type BackendChoice } from '@oidstream/keras-models';
import { collect, numberIn, positiveInt } from '../cli-values.js';
import { PipelineError } from '../errors.js';
import { runPipeline } from '../run.js';

interface RunFlags {
  data: string;
  out: string;
  model: string[];
  classes?: string;
  under?: string;
  minConfidence?: string;
  excludeGroupOf?: boolean;
  excludeDepiction?: boolean;
  excludeOccluded?: boolean;
  excludeTruncated?: boolean;
  excludeInside?: boolean;
  minBoxSize?: string;
  quality?: string;
  padding?: string;
  square?: boolean;
  maxSide?: string;
  minChipSize?: string;
  chipFiles: boolean;
  backend: string;
  batchSize?: string;
  threads?: string;
  chipsPartRows?: string;
  classifyPartRows?: string;
  download?: boolean;
  source?: string;
  baseUrl?: string;
  concurrency?: string;
  force?: boolean;
  json?: boolean;
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('every stage: classes → select → pack (images/ folder) → chips → classify → report; resumable after a kill')
    .requiredOption('--data <dir>', 'OID data dir (metadata/, annotations/, images/ or images.parquet)')
    .requiredOption('--out <dir>', 'output dir: boxes.parquet, chips.parquet, chips/, predictions.parquet, report.html, run.json')
    .option('--model <name=source>', 'model: name=<tfjs layers dir | model.json | http(s) URL | .h5> (repeatable; default: hosted MobileNet when online)', collect, [])
    .option('--classes <names>', 'classes by display name or MID, comma separated (default: the six big cats)')
    .option('--under <names>', 'every class under these in the hierarchy')
    .option('--min-confidence <x>', 'image labels with Confidence above this count (default 0.99)')
    .option('--exclude-group-of', 'drop IsGroupOf boxes')
    .option('--exclude-depiction', 'drop IsDepiction boxes')
    .option('--exclude-occluded', 'drop IsOccluded boxes')
    .option('--exclude-truncated', 'drop IsTruncated boxes')
    .option('--exclude-inside', 'drop IsInside boxes')
    .option('--min-box-size <x>', 'drop boxes narrower or lower than this (normalised, 0–1)')
    .option('--quality <n>', 'chip JPEG quality 1–100 (default 90)')
    .option('--padding <pct>', 'grow each box by this % of its size (default 0)')
    .option('--square', 'square chips')
    .option('--max-side <px>', 'scale chips down to this longest side')
    .option('--min-chip-size <px>', 'boxes smaller than this many pixels become errors (default 1)')
    .option('--no-chip-files', 'do not write chips/<DisplayName>/<chip_id>.jpg files')
    .option('--backend <backend>', `inference backend: auto|${BACKEND_ORDER.join('|')}`, 'auto')
    .option('--batch-size <n>', 'images per inference batch (default 16)')
    .option('--threads <n>', 'inference threads (default: all cores)')
    .option('--chips-part-rows <n>', 'boxes per chips part, the unit of resume inside chips (default 5000)')
    .option('--classify-part-rows <n>', 'chips per classify part, the unit of resume inside classify (default 2000)')
    .option('--download', 'fetch the selected images when the data dir has neither images/ nor images.parquet (see oidstream download)')
    .option('--source <source>', 'with --download: s3 | original | thumbnail (default s3)')
    .option('--base-url <url>', 'with --download: base of the S3 layout <base>/<split>/<ImageID>.jpg')
    .option('--concurrency <n>', 'with --download: requests in flight (default 8)')
    .option('--force', 'start over, discarding the outputs of an earlier run in --out')
    .option('--json', 'progress and the result as JSON lines on stdout')
    .action(async (f: RunFlags) => {
      if (f.backend !== 'auto' && !BACKEND_ORDER.includes(f.backend as never)) {
        throw new PipelineError('BAD_OPTION', `--backend ${JSON.stringify(f.backend)}: use auto, ${BACKEND_ORDER.join(', ')}`);
      }
      const result = await runPipeline({
        data: f.data, out: f.out, models: f.model, classes: f.classes, under: f.under,
        minConfidence: numberIn('--min-confidence', f.minConfidence, 0, 1),
        excludeGroupOf: f.excludeGroupOf, excludeDepiction: f.excludeDepiction, excludeOccluded: f.excludeOccluded,
        excludeTruncated: f.excludeTruncated, excludeInside: f.excludeInside,
        minBoxSize: numberIn('--min-box-size', f.minBoxSize, 0, 1),
        quality: positiveInt('--quality', f.quality), padding: numberIn('--padding', f.padding, 0, 1000), square: f.square,
        maxSide: positiveInt('--max-side', f.maxSide), minChipSize: positiveInt('--min-chip-size', f.minChipSize), chipFiles: f.chipFiles,
        backend: f.backend as BackendChoice, batchSize: positiveInt('--batch-size', f.batchSize), threads: positiveInt('--threads', f.threads),
        chipsPartRows: positiveInt('--chips-part-rows', f.chipsPartRows), classifyPartRows: positiveInt('--classify-part-rows', f.classifyPartRows), force: f.force, json: f.json,
        download: f.download, downloadSource: f.source, baseUrl: f.baseUrl, downloadConcurrency: positiveInt('--concurrency', f.concurrency),
      });
      if (f.json) {
        process.stdout.write(JSON.stringify({ result: { report: result.report, runJson: result.runJson, counts: result.counts, classification: result.classification ?? 'done' } }) + '\n');
        return;
      }
      if (result.classification) process.stderr.write(`classification skipped: ${result.classification.reason}. ${result.classification.hint}\n`);
      process.stdout.write(`report: ${result.report}\n`);
    });
}
