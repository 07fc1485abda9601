/**
 * One bench pass on an OID data dir you already have: select, pack, chips, classify (with a model), run and report,
 * each beside its peers that this machine has (DuckDB, bare sharp, PIL, bare predict loop, PyTorch), one run each.
 * Run it: `npx tsx packages/bench/samples/bench-once.ts [data dir] [work dir]` (default: the committed test-data/oid).
 */
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { formatRatios, runBench } from '@oidstream/bench';

export async function main(data = path.resolve(import.meta.dirname, '../../../test-data/oid'), work = path.join(os.tmpdir(), 'oidstream-bench-sample')) {
  const result = await runBench({ data, workDir: work, reps: 1, log: () => {} });
  for (const r of result.rows) console.log(`${r.stage.padEnd(8)} ${r.who.padEnd(20)} ${r.skipped ? `skipped: ${r.skipped}` : `${r.units} ${r.unit} in ${r.ms.toFixed(0)} ms`}`);
  for (const line of Object.values(result.ratios).flatMap((ratios) => formatRatios(ratios))) console.log(line);
  return result;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main(process.argv[2], process.argv[3]);
