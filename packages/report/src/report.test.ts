import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs } from '@oidstream/test-needs';
import { writeReport } from './report.js';
import { writeRunDirFixture } from '../test/run-dir-fixture.js';
import { dumpDom, findChromium, screenshot } from '@oidstream/test-needs/chromium';

let dir: string;
let expected: Awaited<ReturnType<typeof writeRunDirFixture>>;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'oidstream-report-'));
  expected = await writeRunDirFixture(dir);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('report', () => {
  it('writes a self-contained report.html with charts, agreement, contact sheet and failures', async () => {
    const result = await writeReport(dir);
    const html = await readFile(result.html, 'utf8');
    for (const name of ['labels', 'boxes-per-class', 'box-sizes', 'agreement']) expect(html).toContain(`data-chart="${name}"`);
    // nothing is fetched: no http(s) src/href, images are data: URIs
    expect(html).not.toMatch(/(src|href)=["']https?:/);
    expect(html.match(/<img src="data:image\/jpeg;base64,/g)?.length).toBe(expected.chips);
    const agreement = result.data.models[0];
    expect(agreement.model).toBe('mobilenet');
    expect(agreement.evaluated).toBe(expected.chips);
    expect(agreement.top1).toBeCloseTo(expected.top1, 10);
    expect(agreement.top1Family).toBeCloseTo(expected.top1Family, 10);
    expect(agreement.top5).toBe(1);
    expect(agreement.confusion.Leopard.jaguar).toBe(2);
    expect(html).toContain('premature end of JPEG image');
    expect(html).not.toContain(`id="classification-skipped"`); // predictions exist
    // SVG + PNG beside the page
    for (const f of result.charts.filter((c) => c.endsWith('.png'))) {
      const meta = await sharp(f).metadata();
      expect(meta.format).toBe('png');
    }
    expect(result.charts.length).toBe(8);
  });

  it('marks classification as not run when there are no predictions', async () => {
    const bare = await mkdtemp(path.join(os.tmpdir(), 'oidstream-report-bare-'));
    try {
      await writeRunDirFixture(bare, 2);
      await rm(path.join(bare, 'predictions.parquet'));
      const result = await writeReport(bare);
      const html = await readFile(result.html, 'utf8');
      expect(html).toContain('id="classification-skipped"');
      expect(html).toContain('--model mobilenet=');
      expect(html).not.toContain('data-chart="agreement"');
    } finally {
      await rm(bare, { recursive: true, force: true });
    }
  });

  it('rejects a directory without stage outputs with a coded error', async () => {
    const empty = await mkdtemp(path.join(os.tmpdir(), 'oidstream-report-empty-'));
    try {
      await expect(writeReport(empty)).rejects.toMatchObject({ code: 'REPORT_INPUT_MISSING' });
      await expect(writeReport(path.join(empty, 'nope'))).rejects.toMatchObject({ code: 'RUN_DIR_MISSING' });
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});

describe.skipIf(needs('chromium', !!findChromium()))('report in headless Chromium (needs Debian chromium: apt-get install -y chromium)', () => {
  it('renders every chart with marks and a non-blank page', async () => {
    const { html } = await writeReport(dir);
    const dom = await dumpDom(html);
    const figures = [...dom.matchAll(/<figure class="chart" data-chart="([^"]+)">([\s\S]*?)<\/figure>/g)];
    expect(figures.map((f) => f[1]).sort()).toEqual(['agreement', 'box-sizes', 'boxes-per-class', 'labels']);
    for (const [, name, body] of figures) {
      const svg = body.match(/<svg[^>]*width="(\d+)"[^>]*height="(\d+)"/);
      expect(svg, name).not.toBeNull();
      expect(Number(svg![1])).toBeGreaterThan(50);
      expect(Number(svg![2])).toBeGreaterThan(50);
      // vega draws bars as path marks inside role-mark groups
      expect(body, name).toMatch(/class="mark-rect role-mark[^"]*"[^>]*>.*?<path/s);
    }
    const png = path.join(dir, 'shot.png');
    await screenshot(html, png, '1200,1600');
    expect(existsSync(png)).toBe(true);
    const stats = await sharp(png).stats();
    // a blank page has ~0 deviation in every channel; a page with green/red bars does not
    expect(Math.max(...stats.channels.slice(0, 3).map((c) => c.stdev))).toBeGreaterThan(10);
  }, 120_000);
});
