import type { Command } from 'commander';
import { benchChild, runBench } from '../bench.js';
import { positiveInt } from '../cli-values.js';

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('per-stage throughput and peak RSS beside peers (DuckDB, bare sharp, PIL, bare predict, PyTorch) at two scales')
    .option('--scale <n>', 'images at the small scale; the large scale is 4× (default 200)')
    .option('--model <dir|url>', 'model for classify (default ../shared/models/mobilenet_v1_0.75_224 when present)')
    .option('--keep <dir>', 'keep generated data and outputs in this dir')
    .option('--json', 'print the rows as JSON on stdout')
    .option('--child <task>', 'internal: run one measurement in this process')
    .action(async (o: { scale?: string; model?: string; keep?: string; json?: boolean; child?: string }) => {
      if (o.child) return benchChild(o.child);
      const r = await runBench({ scale: positiveInt('--scale', o.scale), model: o.model, workDir: o.keep });
      if (o.json) process.stdout.write(JSON.stringify(r) + '\n');
    });
}
