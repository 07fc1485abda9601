import type { Command } from 'commander';
import { benchChild, runBench } from '../bench.js';
import { positiveInt } from '../cli-values.js';

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('per-stage throughput, load and peak RSS beside peers (DuckDB, bare sharp, PIL, bare predict, PyTorch) at two scales; medians of --reps runs')
    .option('--scale <n>', 'images at the small scale; the large scale is 4× (default 200)')
    .option('--reps <n>', 'runs per figure, the median is reported (default 3)')
    .option('--model <dir|url>', 'model for classify (default ../shared/models/mobilenet_v1_0.75_224 when present)')
    .option('--small-images', 'keep the generator\'s small images (default: re-encode at long side 1024, q90, like OID)')
    .option('--keep <dir>', 'keep generated data and outputs in this dir')
    .option('--out <file.json>', 'write the rows, ratios, date and machine as JSON here')
    .option('--json', 'print the result as JSON on stdout')
    .option('--child <task>', 'internal: run one measurement in this process')
    .action(async (o: { scale?: string; reps?: string; model?: string; smallImages?: boolean; keep?: string; out?: string; json?: boolean; child?: string }) => {
      if (o.child) return benchChild(o.child);
      const r = await runBench({
        scale: positiveInt('--scale', o.scale), reps: positiveInt('--reps', o.reps), model: o.model, workDir: o.keep, jsonFile: o.out,
        realSize: !o.smallImages,
      });
      if (o.json) process.stdout.write(JSON.stringify(r) + '\n');
    });
}
