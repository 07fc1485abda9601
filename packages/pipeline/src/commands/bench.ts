import type { Command } from 'commander';
import { positiveInt } from '../cli-values.js';
import { PipelineError } from '../errors.js';

/** What this command calls in @oidstream/bench (that package depends on this one, so its types are not imported). */
interface BenchModule {
  runBench(options: { scale?: number; scales?: number[]; reps?: number; model?: string; data?: string; workDir?: string; jsonFile?: string; realSize?: boolean; photos?: string; stages?: string[] }): Promise<unknown>;
  benchChild(taskJson: string): Promise<void>;
}

/** @oidstream/bench, loaded only when the command runs; the name is a variable so no build order ties the two. */
async function loadBench(): Promise<BenchModule> {
  const name = '@oidstream/bench';
  try {
    return (await import(name)) as BenchModule;
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND' || !String((err as Error).message).includes(name)) throw err;
    throw new PipelineError('BAD_OPTION', `oidstream bench needs the package ${name}: npm install ${name}`, { cause: err });
  }
}

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('per-stage throughput, load and peak RSS beside peers (DuckDB, bare sharp, PIL, bare predict, PyTorch) at two scales; medians of --reps runs (package @oidstream/bench)')
    .option('--scale <n>', 'images at the small scale; the large scale is 4× (default 200)')
    .option('--scales <a,b>', 'generate data at exactly these scales instead, e.g. 400,4000 (peak RSS of run is compared between the first and each other)')
    .option('--stages <list>', 'only these stages, e.g. chips,classify (of help, resnet50, select, pack, chips, classify, run, report; chips and later need pack\'s output, kept with --keep)')
    .option('--reps <n>', 'runs per figure, the median is reported (default 3)')
    .option('--model <dir|url>', 'model for classify (default ../shared/models/mobilenet_v1_0.75_224 when present)')
    .option('--data <dir>', 'measure on this OID data dir at one scale instead of generated data')
    .option('--small-images', 'keep the generator\'s small images (default: re-encode at long side 1024, q90, like OID)')
    .option('--photos <dir>', 'real photos (.jpg) that replace the generator\'s images, cycled, e.g. ../shared/oid-real/images')
    .option('--keep <dir>', 'keep generated data and outputs in this dir')
    .option('--out <file.json>', 'write the rows, ratios, date and machine as JSON here')
    .option('--json', 'print the result as JSON on stdout')
    .option('--child <task>', 'internal: run one measurement in this process')
    .action(async (o: { scale?: string; scales?: string; reps?: string; stages?: string; model?: string; data?: string; smallImages?: boolean; photos?: string; keep?: string; out?: string; json?: boolean; child?: string }) => {
      const bench = await loadBench();
      if (o.child) return bench.benchChild(o.child);
      if (o.scale !== undefined && o.scales !== undefined) throw new PipelineError('BAD_OPTION', 'give --scale or --scales, not both');
      const scales = o.scales?.split(',').map((v) => positiveInt('--scales', v.trim())!);
      const r = await bench.runBench({
        scale: positiveInt('--scale', o.scale), scales, reps: positiveInt('--reps', o.reps), model: o.model, data: o.data, workDir: o.keep, jsonFile: o.out,
        realSize: !o.smallImages, photos: o.photos, stages: o.stages?.split(',').map((v) => v.trim()),
      });
      if (o.json) process.stdout.write(JSON.stringify(r) + '\n');
    });
}
