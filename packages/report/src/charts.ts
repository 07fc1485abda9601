import sharp from 'sharp';
import type { TopLevelSpec } from 'vega-lite';

/** A rendered chart: inline SVG for the page, PNG bytes for the file beside it. */
export interface Chart {
  name: string;
  title: string;
  svg: string;
  png: Buffer;
}

export const POSITIVE_COLOR = '#2e9e44';
export const NEGATIVE_COLOR = '#d1352b';

/** Vega-lite → vega → SVG with no DOM and no network (renderer "none"; data are inline values). */
export async function renderChart(name: string, title: string, spec: TopLevelSpec): Promise<Chart> {
  // vega is loaded on the first chart: importing this package (run-dir layout, run.json types) stays cheap
  const [vega, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  const vgSpec = compile({ ...spec, config: { font: 'sans-serif', ...(spec.config ?? {}) } } as TopLevelSpec).spec;
  const view = new vega.View(vega.parse(vgSpec), { renderer: 'none', logLevel: vega.Error });
  try {
    const svg = await view.toSVG();
    const png = await sharp(Buffer.from(svg), { density: 144 }).png().toBuffer();
    return { name, title, svg, png };
  } finally {
    view.finalize();
  }
}

export interface LabelCounts {
  DisplayName: string;
  positive: number;
  negative: number;
}

/** Positive vs negative image-level labels per class, side by side (green / red), as the original's figure. */
export function labelDistributionSpec(rows: LabelCounts[]): TopLevelSpec {
  const values = rows.flatMap((r) => [
    { class: r.DisplayName, kind: 'positive', images: r.positive },
    { class: r.DisplayName, kind: 'negative', images: r.negative },
  ]);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    data: { values },
    width: { step: 18 },
    height: 220,
    mark: 'bar',
    encoding: {
      x: { field: 'class', type: 'nominal', title: null, axis: { labelAngle: -30 } },
      xOffset: { field: 'kind', sort: ['positive', 'negative'] },
      y: { field: 'images', type: 'quantitative', title: 'image-level labels' },
      color: {
        field: 'kind', type: 'nominal', title: 'label',
        scale: { domain: ['positive', 'negative'], range: [POSITIVE_COLOR, NEGATIVE_COLOR] },
      },
      tooltip: [{ field: 'class' }, { field: 'kind' }, { field: 'images' }],
    },
  };
}

export function boxesPerClassSpec(rows: { DisplayName: string; boxes: number }[]): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    data: { values: rows.map((r) => ({ class: r.DisplayName, boxes: r.boxes })) },
    width: 420,
    height: { step: 22 },
    mark: { type: 'bar', color: '#3b6fb6' },
    encoding: {
      y: { field: 'class', type: 'nominal', sort: '-x', title: null },
      x: { field: 'boxes', type: 'quantitative', title: 'boxes' },
    },
  };
}

/** Pre-binned histogram: the bins are computed while streaming, so the chart never sees every box. */
export function boxSizeSpec(bins: { from: number; to: number; boxes: number }[]): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    data: { values: bins },
    width: 420,
    height: 200,
    mark: { type: 'bar', color: '#8a5cb8' },
    encoding: {
      x: { field: 'from', type: 'quantitative', bin: { binned: true, step: bins.length ? bins[0].to - bins[0].from : 0.05 }, title: 'box side (sqrt of normalised area)' },
      x2: { field: 'to' },
      y: { field: 'boxes', type: 'quantitative', title: 'boxes' },
    },
  };
}

export function agreementSpec(rows: { model: string; metric: string; agreement: number }[]): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    data: { values: rows },
    width: { step: 22 },
    height: 200,
    mark: 'bar',
    encoding: {
      x: { field: 'model', type: 'nominal', title: null },
      xOffset: { field: 'metric' },
      y: { field: 'agreement', type: 'quantitative', scale: { domain: [0, 1] }, axis: { format: '%' }, title: 'agreement with OID label' },
      color: { field: 'metric', type: 'nominal', title: null },
    },
  };
}
