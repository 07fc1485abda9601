import type { Chart } from './charts.js';
import type { ReportData } from './report-data.js';
import { reasonOf } from './error-log.js';

export function escapeHtml(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const fmtMs = (ms: number) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);
const fmtBytes = (b: number) => `${(b / 2 ** 20).toFixed(0)} MB`;

const CSS = `
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1100px;color:#222;padding:0 16px}
h1{font-size:22px;margin-bottom:4px} h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}
h3{font-size:15px;margin:16px 0 6px}
.sub{color:#666} .note{background:#fff6d6;border:1px solid #e6c85c;padding:8px 12px;border-radius:4px}
table{border-collapse:collapse;margin:6px 0;max-width:100%} td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:#f4f4f4} td.n{text-align:right;font-variant-numeric:tabular-nums}
figure.chart{display:inline-block;margin:8px 16px 8px 0;vertical-align:top} figcaption{font-weight:600;margin-bottom:4px}
.sheet{display:flex;flex-wrap:wrap;gap:6px} .thumb{width:120px;font-size:11px;color:#444;text-align:center}
.thumb img{display:block;margin:0 auto 2px;max-width:112px;max-height:112px}
code{background:#f4f4f4;padding:1px 4px;border-radius:3px;overflow-wrap:anywhere} figure.chart svg{max-width:100%;height:auto}`;

function chartFigure(chart: Chart | undefined): string {
  if (!chart) return '';
  return `<figure class="chart" data-chart="${escapeHtml(chart.name)}"><figcaption>${escapeHtml(chart.title)}</figcaption>${chart.svg}</figure>`;
}

function table(head: string[], rows: (string | number)[][], numeric: boolean[] = []): string {
  const th = head.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const trs = rows.map((r) => `<tr>${r.map((c, i) => `<td${numeric[i] ? ' class="n"' : ''}>${escapeHtml(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${trs}\n</tbody></table>`;
}

function runFacts(d: ReportData): string {
  const r = d.run;
  if (!r) return '<p class="sub">No run.json in this directory (the stages were run one by one).</p>';
  const facts: [string, string][] = [
    ['status', r.status + (r.failure ? ` — ${r.failure}` : '')],
    ['started', r.startedAt],
    ['finished', r.finishedAt ?? '—'],
    ['wall time', r.ms !== undefined ? fmtMs(r.ms) : '—'],
    ['resumed', String(r.resumes)],
    ['backend', r.backend ?? '—'],
    ['models', r.models.map((m) => `${m.name}=${m.source}`).join(', ') || '—'],
    ['peak RSS', fmtBytes(r.peakRssBytes)],
    ['errors', `${r.errors.total}` + (Object.keys(r.errors.byStage).length ? ` (${Object.entries(r.errors.byStage).map(([k, v]) => `${k}: ${v}`).join(', ')})` : '')],
    ['counts', Object.entries(r.counts).map(([k, v]) => `${k} ${v}`).join(', ') || '—'],
    ['arguments', JSON.stringify(r.args)],
    ['versions', Object.entries(r.versions).map(([k, v]) => `${k} ${v}`).join(', ')],
  ];
  const stages = table(
    ['stage', 'status', 'time', 'counts', 'note'],
    r.stages.map((s) => [s.name, s.status, fmtMs(s.ms), Object.entries(s.counts).map(([k, v]) => `${k} ${v}`).join(', '), s.note ?? '']),
    [false, false, true],
  );
  return `${table(['fact', 'value'], facts)}<h3>Stages</h3>${stages}`;
}

function agreement(d: ReportData, chart: Chart | undefined): string {
  if (d.models.length === 0) return '';
  const summary = table(
    ['model', 'chips evaluated', 'top-1', 'top-5', 'top-1 family', 'top-5 family', 'no ImageNet class'],
    d.models.map((m) => [m.model, m.evaluated, pct(m.top1), pct(m.top5), pct(m.top1Family), pct(m.top5Family), m.notEvaluable]),
    [false, true, true, true, true, true, true],
  );
  const per = d.models.map((m) => {
    const classes = Object.keys(m.confusion).sort();
    const predicted = new Map<string, number>();
    for (const row of Object.values(m.confusion)) for (const [p, n] of Object.entries(row)) predicted.set(p, (predicted.get(p) ?? 0) + n);
    // The columns: the most frequent predictions, the rest folded into "other".
    const cols = [...predicted].sort((a, b) => b[1] - a[1]).slice(0, 10).map(([p]) => p);
    const rows = classes.map((c) => {
      const row = m.confusion[c];
      const other = Object.entries(row).filter(([p]) => !cols.includes(p)).reduce((s, [, n]) => s + n, 0);
      const pc = m.perClass[c];
      return [c, pc ? pct(pc.top1) : '—', ...cols.map((p) => row[p] ?? ''), other || ''];
    });
    return `<h3>${escapeHtml(m.model)}: confusion (rows: OID label, columns: predicted ImageNet top-1)</h3>` +
      table(['OID class', 'top-1', ...cols, 'other'], rows, [false, true, ...cols.map(() => true), true]);
  }).join('\n');
  return `<h2 id="agreement">Agreement with the OID label</h2>
<p class="sub">top-1 / top-5: the model's first / any of its first five ImageNet classes is the box's big cat
(Tiger n02129604, Lion n02129165, Cheetah n02130308, Leopard n02128385, Jaguar n02128925, Lynx n02127052).
"family" also accepts snow leopard (n02128757) and cougar (n02125311), close relatives that ImageNet has and OID does not.</p>
${chartFigure(chart)}${summary}${per}`;
}

function sheet(d: ReportData): string {
  if (!d.chips) return '';
  const blocks = d.chips.perClass.map((c) => {
    const thumbs = c.thumbs.map((t) => {
      const cap = t.predictions.map((p) => `${p.model}: ${p.label}${Number.isFinite(p.score) ? ` ${(100 * p.score).toFixed(0)}%` : ''}`).join('<br>');
      return `<div class="thumb"><img src="${t.src}" width="${t.width}" height="${t.height}" alt="${escapeHtml(t.chip_id)}" title="${escapeHtml(t.chip_id)}">${cap || escapeHtml(t.chip_id)}</div>`;
    }).join('');
    return `<h3>${escapeHtml(c.DisplayName)} <span class="sub">(${c.chips} chips, ${c.thumbs.length} shown)</span></h3><div class="sheet" data-class="${escapeHtml(c.DisplayName)}">${thumbs}</div>`;
  }).join('\n');
  return `<h2 id="chips">Chips</h2><p class="sub">${d.chips.total} chips in chips.parquet.</p>${blocks}`;
}

function problems(d: ReportData): string {
  const slow = (d.run?.stages ?? []).slice().sort((a, b) => b.ms - a.ms);
  const slowest = slow.length ? `<h3>Slowest stages</h3>${table(['stage', 'time', 'share'], slow.map((s) => [s.name, fmtMs(s.ms), d.run?.ms ? pct(s.ms / d.run.ms) : '']), [false, true, true])}` : '';
  const parts = d.run?.slowest?.length
    ? `<h3>Slowest parts</h3>${table(['stage', 'part', 'rows', 'time'], d.run.slowest.map((s) => [s.stage, s.item, s.rows ?? '', fmtMs(s.ms)]), [false, false, true, true])}`
    : '';
  const e = d.errors;
  const failed = e.total === 0
    ? '<p>No failed items (errors.jsonl is empty or absent).</p>'
    : `<p>${e.total} failed items.</p>${table(['reason', 'items'], e.byReason.slice(0, 15).map((r) => [r.reason, r.count]), [false, true])}` +
      `<h3>First failed items</h3>${table(['stage', 'ImageID', 'reason', 'detail'], e.sample.map((r) => [r.stage ?? '', r.ImageID ?? '', reasonOf(r), r.message && r.message !== reasonOf(r) ? String(r.message) : JSON.stringify(r.box ?? '')]))}`;
  return `<h2 id="problems">Slowest and failed items</h2>${slowest}${parts}${failed}`;
}

export function renderReportHtml(d: ReportData, charts: Map<string, Chart>): string {
  const cls = d.run?.classification;
  const noPredictions = d.models.length === 0;
  const skipped = cls?.status === 'skipped' || noPredictions
    ? `<p class="note" id="classification-skipped">Classification ${cls?.status === 'skipped' ? 'was skipped' : 'has not run'}${cls?.reason ? `: ${escapeHtml(cls.reason)}` : ''}. ${escapeHtml(cls?.hint ?? 'Add a model with `oidstream run … --model mobilenet=<dir|url|.h5>`.')}</p>`
    : '';
  const classes = d.classes
    ? table(['class', 'MID', 'positive labels', 'negative labels', 'selected images', 'boxes'],
      d.classes.map((c) => [c.DisplayName, c.LabelName ?? '', c.positive, c.negative, c.images ?? '', c.boxes ?? '']), [false, false, true, true, true, true])
    : '<p class="sub">No labels-summary.json.</p>';
  const sel = d.selection;
  const limit = sel?.limit
    ? `<p class="note" id="selection-limit">A limit was applied: at most ${sel.limit.maxPerClass} images per class (seed ${sel.limit.seed})${sel.limit.limitedClasses !== undefined ? `; ${sel.limit.limitedClasses} classes had more` : ''}. Selected images are a sample, not every labelled image.</p>`
    : '';
  const source = sel?.labels || sel?.splits ? `<p class="sub" id="selection-source">Image labels: ${escapeHtml(sel.labels ?? 'human')}${sel.splits ? ` · splits: ${escapeHtml(sel.splits.join(', '))}` : ''}</p>` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>oidstream report — ${escapeHtml(d.runDir)}</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><style>${CSS}</style></head>
<body>
<h1>oidstream report</h1>
<p class="sub">${escapeHtml(d.runDir)} · generated ${escapeHtml(d.generatedAt)} · ${d.boxes?.total ?? 0} boxes · ${d.chips?.total ?? 0} chips · ${d.predictions} predictions · ${d.errors.total} errors</p>
${skipped}
<h2 id="labels">Labels per class</h2>
${source}${limit}
${chartFigure(charts.get('labels'))}
${classes}
<h2 id="boxes">Boxes</h2>
${chartFigure(charts.get('boxes-per-class'))}${chartFigure(charts.get('box-sizes'))}
${agreement(d, charts.get('agreement'))}
${sheet(d)}
${problems(d)}
<h2 id="run">Run facts</h2>
${runFacts(d)}
</body></html>
`;
}
