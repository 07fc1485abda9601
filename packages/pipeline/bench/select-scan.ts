/**
 * Benchmark (not a test): scan throughput of `select` beside DuckDB's read_csv on the same generated OID CSVs, and
 * the peak RSS of each run at 1M and 10M box rows (each measured in its own child process).
 *
 *   npx tsx --conditions=@oidstream/source packages/pipeline/bench/select-scan.ts
 *       [--rows 1000000,10000000,10000000@0.002] [--big-cat-share 0.02] [--dir /tmp/oidstream-bench]
 *       [--csv-parse-max-rows 1000000] [--variants select,select-csv-parse,select-no-prefilter,duckdb-semijoin,duckdb-count]
 *
 * `N@P` generates N box rows with big-cat share P (default --big-cat-share): `10000000@0.002` selects about as many
 * images as `1000000` at 0.02, so it shows memory against rows scanned with the selection held constant (the
 * selected ImageID set is what select keeps in memory; rows are streamed).
 *
 * Variants: select (byte pre-filter; quote-free batches split directly), select with the pre-filter but every kept
 * line through csv-parse, select without the pre-filter (csv-parse on every line; only up to --csv-parse-max-rows),
 * DuckDB running the same labels → ImageIDs → boxes semi-join in SQL, and DuckDB's bare full scan (count(*)).
 * MB/s = bytes of the label + box CSVs / wall time. Numbers vary with machine load: compare the ratios.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

interface Task {
  kind: 'select' | 'select-csv-parse' | 'select-no-prefilter' | 'duckdb-semijoin' | 'duckdb-count';
  data: string;
}
interface Measure {
  kind: string;
  rows: number;
  share?: number;
  boxes: number;
  seconds: number;
  mb: number;
  mbPerS: number;
  peakRssMB: number;
  parsedLines?: number;
  lines?: number;
}

const self = fileURLToPath(import.meta.url);

async function child(task: Task): Promise<void> {
  const { findOidFiles, selectBoxes } = await import('@oidstream/oid-join');
  const files = await findOidFiles(task.data);
  const bytes = [...files.humanLabels, ...files.boxes].reduce((s, f) => s + statSync(f).size, 0);
  const t0 = performance.now();
  let boxes = 0;
  let extra: Partial<Measure> = {};
  if (task.kind.startsWith('select')) {
    const selection = selectBoxes({
      data: task.data,
      prefilter: task.kind !== 'select-no-prefilter',
      parser: task.kind === 'select' ? 'auto' : 'csv-parse',
    });
    for await (const _ of selection) boxes++;
    const s = selection.summary!.scan;
    extra = { lines: s.labels.lines + s.boxes.lines, parsedLines: s.labels.parsedLines + s.boxes.parsedLines };
  } else {
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await DuckDBInstance.create(':memory:', { threads: String(os.availableParallelism()) });
    const con = await db.connect();
    const list = (xs: string[]): string => `[${xs.map((x) => `'${x}'`).join(',')}]`;
    const mids = "('/m/07dm6','/m/096mb','/m/0cd4d','/m/0c29q','/m/0449p','/m/04g2r')";
    const sql =
      task.kind === 'duckdb-count'
        ? `SELECT (SELECT count(*) FROM read_csv(${list(files.humanLabels)}, header = true, union_by_name = true))
              + (SELECT count(*) FROM read_csv(${list(files.boxes)}, header = true, union_by_name = true))`
        : `WITH ids AS (SELECT DISTINCT ImageID FROM read_csv(${list(files.humanLabels)}, header = true, union_by_name = true)
                        WHERE LabelName IN ${mids} AND Confidence > 0.99)
           SELECT count(*) FROM read_csv(${list(files.boxes)}, header = true, union_by_name = true) b
           WHERE b.LabelName IN ${mids} AND b.ImageID IN (SELECT ImageID FROM ids)`;
    boxes = Number((await con.runAndReadAll(sql)).getRows()[0][0]);
    con.closeSync();
    db.closeSync();
  }
  const seconds = (performance.now() - t0) / 1000;
  const mb = bytes / 1e6;
  const m: Measure = {
    kind: task.kind, rows: 0, boxes, seconds: round(seconds), mb: round(mb), mbPerS: round(mb / seconds),
    peakRssMB: round(process.resourceUsage().maxRSS / 1024), ...extra,
  };
  process.stdout.write(JSON.stringify(m) + '\n');
}

function round(v: number): number {
  return Math.round(v * 10) / 10;
}

function runChild(task: Task): Measure {
  const r = spawnSync(process.execPath, [...process.execArgv, self, '--child', JSON.stringify(task)], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`${task.kind} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Measure;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      child: { type: 'string' }, rows: { type: 'string' }, 'big-cat-share': { type: 'string' }, dir: { type: 'string' },
      'csv-parse-max-rows': { type: 'string' }, variants: { type: 'string' },
    },
  });
  if (values.child) return child(JSON.parse(values.child) as Task);
  const defaultShare = Number(values['big-cat-share'] ?? 0.02);
  const sizes = (values.rows ?? '1000000,10000000,10000000@0.002').split(',').map((spec) => {
    const [n, p] = spec.split('@');
    return { rows: Number(n), share: p === undefined ? defaultShare : Number(p) };
  });
  const wanted = new Set((values.variants ?? 'select,select-csv-parse,select-no-prefilter,duckdb-semijoin,duckdb-count').split(','));
  const dir = values.dir ?? path.join(os.tmpdir(), 'oidstream-bench');
  const csvParseMax = Number(values['csv-parse-max-rows'] ?? 1_000_000);
  const { generateOid } = await import('@oidstream/tools');
  const results: Measure[] = [];
  for (const { rows, share } of sizes) {
    const data = path.join(dir, `rows-${rows}-share-${share}`);
    const marker = path.join(data, '.complete');
    if (!existsSync(marker)) {
      process.stderr.write(`generating ${rows} box rows in ${data} …\n`);
      await generateOid({ out: data, boxRows: rows, jpeg: false, rotationFiles: false, bigCatShare: share, seed: 42, force: true });
      writeFileSync(marker, '');
    }
    const kinds = (['select', 'select-csv-parse', 'select-no-prefilter', 'duckdb-semijoin', 'duckdb-count'] as const).filter(
      (k) => wanted.has(k) && (k !== 'select-no-prefilter' || rows <= csvParseMax),
    );
    for (const kind of kinds) {
      const m = { ...runChild({ kind, data }), rows, share };
      results.push(m);
      process.stderr.write(`${JSON.stringify(m)}\n`);
    }
  }
  process.stdout.write('\n| box rows | big-cat share | variant | MB | s | MB/s | peak RSS MB | boxes out | lines parsed / seen |\n|---|---|---|---|---|---|---|---|---|\n');
  for (const m of results) {
    const parsed = m.lines ? `${m.parsedLines} / ${m.lines}` : '';
    process.stdout.write(`| ${m.rows} | ${m.share} | ${m.kind} | ${m.mb} | ${m.seconds} | ${m.mbPerS} | ${m.peakRssMB} | ${m.boxes} | ${parsed} |\n`);
  }
}

await main();
