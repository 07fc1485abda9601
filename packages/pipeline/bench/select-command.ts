/**
 * Benchmark (not a test): the whole `oidstream select` command, process start included, beside DuckDB's read_csv
 * semi-join of the same label and box CSVs written to Parquet (also a fresh process), in one run (issue 11's select
 * target). Needs the built packages (`npx nx run-many -t build`).
 *
 *   npx tsx packages/pipeline/bench/select-command.ts [--box-rows 3000000] [--big-cat-share 0.02] [--dir /tmp/oidstream-select-bench]
 *       [--repeat 3] [--json out.json]
 *
 * Variants: `oidstream select` through bin/oidstream.js (every command's modules load at start today), the select
 * command alone (commander + commands/select.js: what a lazy CLI would load), and DuckDB (threads = cores).
 * Prints medians and ratios (DuckDB time / ours: ≥ 1.0 means we are as fast). Compare ratios, not absolute times.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const pkg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repo = path.resolve(pkg, '../..');
const MIDS = "('/m/07dm6','/m/096mb','/m/0cd4d','/m/0c29q','/m/0449p','/m/04g2r')";

function duckScript(data: string, out: string): string {
  const list = (kind: string): string => `[${['test', 'train', 'validation'].map((s) => `'${data}/annotations/${s}-${kind}'`).join(',')}]`;
  return `import { DuckDBInstance } from '@duckdb/node-api';
const db = await DuckDBInstance.create(':memory:', { threads: '${os.availableParallelism()}' });
const con = await db.connect();
await con.run(\`COPY (WITH ids AS (SELECT DISTINCT ImageID FROM read_csv(${list('annotations-human-imagelabels-boxable.csv')}, header = true, union_by_name = true)
  WHERE LabelName IN ${MIDS} AND Confidence > 0.99)
  SELECT b.* FROM read_csv(${list('annotations-bbox.csv')}, header = true, union_by_name = true) b
  WHERE b.LabelName IN ${MIDS} AND b.ImageID IN (SELECT ImageID FROM ids)) TO '${out}' (FORMAT parquet)\`);
con.closeSync(); db.closeSync();`;
}

function selectOnlyScript(data: string, out: string): string {
  const select = path.join(pkg, 'dist/commands/select.js');
  return `import { Command } from 'commander';
import { registerSelect } from '${select}';
const program = new Command('oidstream').exitOverride();
registerSelect(program);
await program.parseAsync(['node', 'oidstream', 'select', '--data', '${data}', '--out', '${out}']);`;
}

interface Run {
  variant: string;
  seconds: number;
  cpuSeconds: number;
  peakRssMB: number;
}

function timed(variant: string, args: string[]): Run {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', process.execPath, ...args], { cwd: repo, encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`${variant} failed: ${r.stderr}`);
  const [e, u, s, m] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number);
  return { variant, seconds: e, cpuSeconds: Math.round((u + s) * 100) / 100, peakRssMB: Math.round(m / 1024) };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'box-rows': { type: 'string' }, 'big-cat-share': { type: 'string' }, dir: { type: 'string' }, repeat: { type: 'string' }, json: { type: 'string' } } });
  const rows = Number(values['box-rows'] ?? 3_000_000);
  const share = Number(values['big-cat-share'] ?? 0.02);
  const dir = values.dir ?? path.join(os.tmpdir(), 'oidstream-select-bench');
  const data = path.join(dir, `rows-${rows}-share-${share}`);
  if (!existsSync(path.join(data, '.complete'))) {
    const { generateOid } = await import('@oidstream/tools');
    process.stderr.write(`generating ${rows} box rows in ${data} …\n`);
    await generateOid({ out: data, boxRows: rows, jpeg: false, rotationFiles: false, bigCatShare: share, seed: 42, force: true });
    writeFileSync(path.join(data, '.complete'), '');
  }
  const out = path.join(dir, 'out');
  const variants: [string, string[]][] = [
    ['oidstream select (bin)', [path.join(pkg, 'bin/oidstream.js'), 'select', '--data', data, '--out', path.join(out, 'cli')]],
    ['select command alone', ['--input-type=module', '-e', selectOnlyScript(data, path.join(out, 'alone'))]],
    ['duckdb read_csv semi-join', ['--input-type=module', '-e', duckScript(data, path.join(out, 'duck.parquet'))]],
  ];
  const runs: Run[] = [];
  for (let i = 0; i < Number(values.repeat ?? 3); i++) {
    for (const [name, args] of variants) {
      const r = timed(name, args);
      runs.push(r);
      process.stderr.write(`${JSON.stringify(r)}\n`);
    }
  }
  const summary = variants.map(([name]) => {
    const mine = runs.filter((r) => r.variant === name);
    return { variant: name, seconds: median(mine.map((r) => r.seconds)), cpuSeconds: median(mine.map((r) => r.cpuSeconds)), peakRssMB: median(mine.map((r) => r.peakRssMB)) };
  });
  const duck = summary[2];
  process.stdout.write(`\n| variant | wall s (median) | CPU s | peak RSS MB | DuckDB wall / this |\n|---|---|---|---|---|\n`);
  for (const s of summary) process.stdout.write(`| ${s.variant} | ${s.seconds} | ${s.cpuSeconds} | ${s.peakRssMB} | ${(duck.seconds / s.seconds).toFixed(2)} |\n`);
  process.stdout.write(`load average at the end: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
  if (values.json) writeFileSync(values.json, JSON.stringify({ rows, share, runs, summary, loadavg: os.loadavg() }, null, 2) + '\n');
}

await main();
