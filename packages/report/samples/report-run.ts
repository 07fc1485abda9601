/**
 * The report of a run directory (the --out of `oidstream select`, `chips`, `classify` or `run`): OUT/report.html and
 * every chart as SVG + PNG, plus the agreement figures of each model with the OID labels. Run it:
 * `npx tsx packages/report/samples/report-run.ts <run dir>`.
 */
import { pathToFileURL } from 'node:url';
import { readRunRecord, RUN_FILES, runPath, writeReport } from '@oidstream/report';

export async function main(runDir: string) {
  const { html, charts, data } = await writeReport(runDir, { thumbsPerClass: 6 });
  const run = await readRunRecord(runPath(runDir, 'runJson'));
  console.log(`${html}: ${charts.length / 2} charts in ${RUN_FILES.reportAssets}/, run ${run?.status ?? 'not recorded'}`);
  for (const c of data.classes ?? []) console.log(`  ${c.DisplayName}: ${c.positive} positive, ${c.negative} negative image labels`);
  for (const m of data.models) console.log(`  ${m.model}: top-1 ${(m.top1 * 100).toFixed(1)} %, top-5 ${(m.top5 * 100).toFixed(1)} % of ${m.evaluated} chips`);
  return { html, charts, data };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main(process.argv[2]!);
