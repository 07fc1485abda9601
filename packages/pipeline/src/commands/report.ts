import type { Command } from 'commander';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('write OUT/report.html (self-contained) and chart SVG/PNG files from the outputs in a run directory')
    .requiredOption('--run <dir>', 'run directory (the --out of select/chips/classify/run)')
    .option('--thumbs <n>', 'chips per class on the contact sheet', (v) => Number.parseInt(v, 10), 12)
    .option('--json', 'print a JSON summary instead of the path')
    .action(async (opts: { run: string; thumbs: number; json?: boolean }) => {
      const { writeReport } = await import('@oidstream/report'); // vega and the report's modules load only here
      const result = await writeReport(opts.run, { thumbsPerClass: Number.isFinite(opts.thumbs) && opts.thumbs >= 0 ? opts.thumbs : 12 });
      if (opts.json) {
        process.stdout.write(JSON.stringify({ report: result.html, charts: result.charts, models: result.data.models.map(({ confusion: _c, ...m }) => m) }) + '\n');
      } else {
        process.stdout.write(`${result.html}\n`);
      }
    });
}
