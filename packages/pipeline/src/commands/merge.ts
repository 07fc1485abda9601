import path from 'node:path';
import type { Command } from 'commander';

export function registerMerge(program: Command): void {
  program
    .command('merge')
    .description('check every shard of a sharded run is done, then merge OUT/parts/*.parquet into OUT/chips.parquet (+ predictions.parquet), or just list the parts')
    .requiredOption('--out <dir>', 'run directory given to enqueue or run --shard')
    .option('--list', 'only list the parts: OUT/parts/ is already one Parquet dataset (read_parquet(\'OUT/parts/*.parquet\'))')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { out: string; list?: boolean; json?: boolean }) => {
      const out = path.resolve(opts.out);
      const t0 = performance.now();
      const { mergeParts } = await import('@oidstream/scale-out'); // bullmq and Parquet: loaded to run, not for --help
      const result = await mergeParts(out, {
        list: opts.list,
        onProgress: ({ parts, rows }) => {
          if (!opts.json) process.stderr.write(`\roidstream merge: ${parts} parts, ${rows} rows`);
        },
      });
      if (!opts.json && !opts.list) process.stderr.write('\n');
      const ms = Math.round(performance.now() - t0);
      if (opts.json) {
        process.stdout.write(JSON.stringify({ ...result, ms }) + '\n');
        return;
      }
      const lines = opts.list ? result.parts.map((p) => `${p.path}\t${p.images} images\t${p.chips} chips\t${p.bytes} bytes`) : [];
      lines.push(`${result.parts.length} parts, ${result.rows} chips; dataset: read_parquet('${result.glob}')`);
      if (result.chips) lines.push(`merged → ${result.chips}${result.predictions ? `, ${result.predictions}` : ''} (${ms} ms)`);
      process.stdout.write(lines.join('\n') + '\n');
    });
}
