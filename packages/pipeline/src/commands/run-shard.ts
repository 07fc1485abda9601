import type { Command } from 'commander';
import { runOutputOptions } from '../shard-flags.js';
import type { RunOutputFlags } from '../shard-flags.js';
import { parseShardArg, runShard } from '../shard-run.js';

type ActionHandler = (args: unknown[]) => unknown;

/**
 * `oidstream run --shard i/N`: the stateless shard mode (Kubernetes Indexed Jobs, AWS Batch array jobs). It adds the
 * flag to the `run` command registered before it; without `--shard`, `run` behaves exactly as before. Registered
 * after `run` in cli.ts; does nothing if `run` already has a `--shard` option of its own.
 */
export function registerRunShard(program: Command): void {
  const run = program.commands.find((c) => c.name() === 'run');
  if (!run || run.options.some((o) => o.long === '--shard')) return;
  const whole = (run as unknown as { _actionHandler: ActionHandler | null })._actionHandler;
  run
    .option('--shard <i/N>', 'process only shard i of N (0-based) into OUT/parts/part-<i>.parquet; then `oidstream merge --out OUT` (see docs/scale-out.md)')
    .action(async (flags: RunOutputFlags & { shard?: string; json?: boolean }) => {
      if (flags.shard === undefined) {
        await whole?.(run.processedArgs);
        return;
      }
      const shard = parseShardArg(flags.shard);
      const r = await runShard(runOutputOptions(flags), shard);
      if (flags.json) {
        process.stdout.write(JSON.stringify({ result: r }) + '\n');
        return;
      }
      if (r.classification) process.stderr.write(`classification skipped: ${r.classification.reason}. ${r.classification.hint}\n`);
      process.stdout.write(
        `shard ${shard.index}/${shard.count}: ${r.images} images, ${r.chips} chips${r.reused ? ' (kept from an earlier run)' : ` in ${(r.ms.total / 1000).toFixed(2)} s`} → ${r.part}\n` +
          `when all ${shard.count} are done: oidstream merge --out ${flags.out}\n`,
      );
    });
}
