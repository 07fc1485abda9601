import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { needs } from '@oidstream/test-needs';
import { findChromium, horizontalOverflow } from '@oidstream/test-needs/chromium';
import { main } from '../src/cli.js';

describe.skipIf(needs('chromium', !!findChromium()))('the report of a run in headless Chromium (needs Debian chromium: apt-get install -y chromium)', () => {
  it('fits a 1,280 px window without sideways scrolling (a real run on test-data/oid: long paths, arguments JSON)', async () => {
    const out = await mkdtemp(path.join(os.tmpdir(), 'oidstream-report-run-'));
    const data = path.resolve(import.meta.dirname, '../../../test-data/oid');
    process.env.OIDSTREAM_OFFLINE = '1'; // no hosted-model probe: classification is skipped with a note
    expect(await main(['node', 'oidstream', 'run', '--data', data, '--out', out, '--min-box-size', '0.01', '--exclude-group-of'])).toBe(0);
    const o = await horizontalOverflow(path.join(out, 'report.html'), 1280);
    await rm(out, { recursive: true, force: true });
    expect(o.clientWidth).toBeGreaterThan(1200);
    expect(o.offenders).toEqual([]);
    expect(o.scrollWidth).toBeLessThanOrEqual(o.clientWidth);
  }, 120_000);
});
