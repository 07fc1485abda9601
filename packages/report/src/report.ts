import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { agreementSpec, boxesPerClassSpec, boxSizeSpec, labelDistributionSpec, renderChart, type Chart } from './charts.js';
import { collectReportData, type ReportData, type ReportOptions } from './report-data.js';
import { renderReportHtml } from './report-html.js';
import { RUN_FILES, runPath } from './run-files.js';

export interface ReportResult {
  html: string;
  charts: string[];
  data: ReportData;
}

async function chartsFor(d: ReportData): Promise<Chart[]> {
  const jobs: Promise<Chart>[] = [];
  if (d.classes?.length) jobs.push(renderChart('labels', 'Image-level labels per class: positive vs negative', labelDistributionSpec(d.classes)));
  if (d.boxes?.perClass.length) {
    jobs.push(renderChart('boxes-per-class', 'Boxes per class', boxesPerClassSpec(d.boxes.perClass)));
    jobs.push(renderChart('box-sizes', 'Box size', boxSizeSpec(d.boxes.sizeBins)));
  }
  if (d.models.length) {
    const rows = d.models.flatMap((m) => [
      { model: m.model, metric: 'top-1', agreement: m.top1 },
      { model: m.model, metric: 'top-5', agreement: m.top5 },
      { model: m.model, metric: 'top-1 family', agreement: m.top1Family },
    ]);
    jobs.push(renderChart('agreement', 'Agreement with the OID label', agreementSpec(rows)));
  }
  return Promise.all(jobs);
}

/**
 * `oidstream report --run OUT`: OUT/report.html (self-contained: inline SVG charts, data: URI thumbnails) and each
 * chart as SVG + PNG in OUT/report-files/.
 */
export async function writeReport(runDir: string, options: ReportOptions = {}): Promise<ReportResult> {
  const data = await collectReportData(runDir, options);
  const charts = await chartsFor(data);
  const assets = path.join(runDir, RUN_FILES.reportAssets);
  await rm(assets, { recursive: true, force: true });
  await mkdir(assets, { recursive: true });
  const written: string[] = [];
  for (const c of charts) {
    await writeFile(path.join(assets, `${c.name}.svg`), c.svg);
    await writeFile(path.join(assets, `${c.name}.png`), c.png);
    written.push(path.join(assets, `${c.name}.svg`), path.join(assets, `${c.name}.png`));
  }
  const html = runPath(runDir, 'report');
  await writeFileAtomic(html, renderReportHtml(data, new Map(charts.map((c) => [c.name, c]))));
  return { html, charts: written, data };
}
