import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { labelDistributionSpec, renderChart, POSITIVE_COLOR, NEGATIVE_COLOR } from './charts.js';

describe('charts', () => {
  it('renders a vega-lite spec to SVG and PNG without a DOM', async () => {
    const chart = await renderChart('labels', 'Labels', labelDistributionSpec([
      { DisplayName: 'Tiger', positive: 12, negative: 3 },
      { DisplayName: 'Lion', positive: 7, negative: 9 },
    ]));
    expect(chart.svg.startsWith('<svg')).toBe(true);
    expect(chart.svg).toContain('Tiger');
    // bars in both colours
    expect(chart.svg.toLowerCase()).toContain(POSITIVE_COLOR);
    expect(chart.svg.toLowerCase()).toContain(NEGATIVE_COLOR);
    const meta = await sharp(chart.png).metadata();
    expect(meta.format).toBe('png');
    expect(meta.width).toBeGreaterThan(100);
  });
});
