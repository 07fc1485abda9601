import type { Command } from 'commander';
import { positiveInt } from '../cli-values.js';
import { addRunOutputOptions, runOutputOptions, type RunOutputFlags } from '../run-flags.js';
import { parseShardArg } from '@oidstream/scale-out/options';
import { PipelineError } from '../errors.js';

interface RunFlags extends RunOutputFlags {
  chipsPartRows?: string;
  classifyPartRows?: string;
  download?: boolean;
  source?: string;
  baseUrl?: string;
  concurrency?: string;
  shard?: string;
  json?: boolean;
}

export function registerRun(program: Command): void {
  const cmd = program
    .command('run')
    .description('every stage: classes → select → pack (images/ folder) or download → chips → classify → report; resumable after a kill');
  addRunOutputOptions(cmd)
    .option('--chips-part-rows <n>', 'boxes per chips part, the unit of resume inside chips (default 5000)')
    .option('--classify-part-rows <n>', 'chips per classify part, the unit of resume inside classify (default 2000)')
    .option('--download', 'fetch the selected images when the data dir has neither images/ nor images.parquet (see oidstream download)')
    .option('--source <source>', 'with --download: s3 | original | thumbnail (default s3)')
    .option('--base-url <url>', 'with --download: base of the S3 layout <base>/<split>/<ImageID>.jpg')
    .option('--concurrency <n>', 'with --download: requests in flight (default 8)')
    .option('--shard <i/N>', 'process only shard i of N (0-based) into OUT/parts/part-<i>.parquet; then `oidstream merge --out OUT` (see the @oidstream/scale-out README)')
    .option('--force', 'start over, discarding the outputs of an earlier run in --out')
    .option('--json', 'progress and the result as JSON lines on stdout')
    .action(async (f: RunFlags) => {
      const shard = f.shard === undefined ? undefined : parseShardArg(f.shard); // checked before any work
      const options = runOutputOptions(f);
      if (shard && options.precision === 'int8') throw new PipelineError('BAD_OPTION', '--precision int8 is not available with --shard yet: run without --shard, or with fp32');
      if (shard) {
        const { runShard } = await import('../shard-run.js'); // the run's packages load to run, not for --help
        const r = await runShard(options, shard);
        if (f.json) return void process.stdout.write(JSON.stringify({ result: r }) + '\n');
        if (r.classification) process.stderr.write(`classification skipped: ${r.classification.reason}. ${r.classification.hint}\n`);
        process.stdout.write(
          `shard ${shard.index}/${shard.count}: ${r.images} images, ${r.chips} chips${r.reused ? ' (kept from an earlier run)' : ` in ${(r.ms.total / 1000).toFixed(2)} s`} → ${r.part}\n` +
            `when all ${shard.count} are done: oidstream merge --out ${f.out}\n`,
        );
        return;
      }
      const { runPipeline } = await import('../run.js');
      const result = await runPipeline({
        ...options, json: f.json,
        chipsPartRows: positiveInt('--chips-part-rows', f.chipsPartRows), classifyPartRows: positiveInt('--classify-part-rows', f.classifyPartRows),
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
