import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs } from '@oidstream/test-needs';
import { generateOid } from '@oidstream/tools';
import { readParquetRows } from '@oidstream/parquet-io';
import { runPipeline, type RunOptions } from '../src/run.js';
import type { LedgerFile } from '../src/ledger.js';
import { progressOf, runCli } from './spawn-cli.js';

const repoRoot = path.resolve(import.meta.dirname, '../../..');
const shared = process.env.OIDSTREAM_SHARED ?? path.resolve(repoRoot, '../shared');
const mobilenet = path.join(shared, 'models', 'mobilenet_v1_0.75_224');

let tmp: string;
let data: string;
let small: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'oidstream-resume-'));
  data = path.join(tmp, 'data');
  await generateOid({ out: data, images: 150, seed: 7 });
  // classify is the slow stage: its test runs on fewer images, in parts of 10 chips
  small = path.join(tmp, 'small');
  await generateOid({ out: small, images: 60, seed: 8 });
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const sha = (b: Uint8Array) => createHash('sha1').update(b).digest('hex');

async function listFiles(dir: string, base = dir): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(p, base)));
    else out.push(path.relative(base, p));
  }
  return out.sort();
}

/** Everything a run leaves that a user reads, in a comparable form. */
async function snapshot(out: string) {
  const chips: string[] = [];
  for await (const r of readParquetRows(path.join(out, 'chips.parquet'))) {
    chips.push(`${r.chip_id} ${r.DisplayName} ${r.chip_width}x${r.chip_height} ${r.chip_path} ${sha(r.chip as Uint8Array)}`);
  }
  const predictions: string[] = [];
  const scores: number[] = [];
  if (existsSync(path.join(out, 'predictions.parquet'))) {
    for await (const r of readParquetRows(path.join(out, 'predictions.parquet'))) {
      predictions.push(`${r.chip_id} ${r.mobilenet_label} ${r.mobilenet_wnid}`);
      scores.push(Number(r.mobilenet_score));
    }
  }
  const files = await listFiles(out);
  const chipFiles = files.filter((f) => f.startsWith('chips/')).map((f) => `${f} ${sha(readFileSync(path.join(out, f)))}`);
  return {
    chips, predictions, scores, chipFiles,
    errors: existsSync(path.join(out, 'errors.jsonl')) ? await readFile(path.join(out, 'errors.jsonl'), 'utf8') : '',
    tempFiles: files.filter((f) => /\.tmp-/.test(f)),
    hasReport: files.includes('report.html'),
  };
}

function ledgerOf(out: string): LedgerFile {
  return JSON.parse(readFileSync(path.join(out, '.oidstream/ledger.json'), 'utf8')) as LedgerFile;
}

const quiet: Pick<RunOptions, 'progress' | 'probeNetwork' | 'onWarning'> = { progress: () => {}, probeNetwork: false, onWarning: () => {} };

describe('oidstream run: resume after kill -9', () => {
  it('kill -9 during chips, rerun reuses its finished parts → same outputs as an uninterrupted run, every chip once', async () => {
    const reference = path.join(tmp, 'ref-chips');
    await runPipeline({ data, out: reference, chipsPartRows: 30, ...quiet });
    const want = await snapshot(reference);
    expect(want.chips.length).toBeGreaterThan(50);
    expect(new Set(want.chips.map((c) => c.split(' ')[0])).size).toBe(want.chips.length);

    const out = path.join(tmp, 'killed-chips');
    const killed = await runCli(['run', '--data', data, '--out', out, '--chips-part-rows', '30', '--json'], {
      killWhen: (line) => {
        const p = progressOf(line);
        return p?.stage === 'chips' && p.done >= 70;
      },
    });
    expect(killed.signal).toBe('SIGKILL');
    // it died inside chips: select is recorded, chips is not, its checkpoint after some parts is
    const ledger = ledgerOf(out);
    expect(ledger.stages.select).toBeDefined();
    expect(ledger.stages.chips).toBeUndefined();
    const partsBefore = ledger.checkpoints.chips?.partsDone ?? 0;
    expect(partsBefore).toBeGreaterThanOrEqual(1);

    const result = await runPipeline({ data, out, chipsPartRows: 30, ...quiet });
    const got = await snapshot(out);
    expect(got).toEqual(want);
    expect(got.tempFiles).toEqual([]);
    const runJson = JSON.parse(readFileSync(result.runJson, 'utf8'));
    expect(runJson.status).toBe('done');
    expect(runJson.resumes).toBe(1);
    expect(runJson.counts.chipsPartsReused).toBe(partsBefore);
    expect(runJson.slowest.filter((x: { stage: string }) => x.stage === 'chips').length).toBeGreaterThanOrEqual(3);
    expect(readFileSync(result.report, 'utf8')).toContain('Slowest parts');
    expect(runJson.stages.find((s: { name: string }) => s.name === 'select').status).toBe('reused');
    expect(runJson.classification.status).toBe('skipped');
    expect(readFileSync(result.report, 'utf8')).toContain('--model mobilenet=');
  }, 300_000);

  it('refuses other arguments in the same --out (coded error), --force starts over', async () => {
    const out = path.join(tmp, 'ref-chips');
    await expect(runPipeline({ data, out, minConfidence: 0.5, ...quiet })).rejects.toMatchObject({ code: 'RUN_ARGS_MISMATCH' });
    const cli = await runCli(['run', '--data', data, '--out', out, '--min-confidence', '0.5']);
    expect(cli.code).toBe(2);
    expect(cli.stderr.trim().split('\n')).toHaveLength(1);
    expect(cli.stderr).toMatch(/^oidstream: .*minConfidence.*\[RUN_ARGS_MISMATCH\]/);
    const forced = await runPipeline({ data, out, minConfidence: 0.5, force: true, ...quiet });
    expect(JSON.parse(readFileSync(forced.runJson, 'utf8')).resumes).toBe(0);
  }, 300_000);
});

describe.skipIf(needs('../shared/models', existsSync(path.join(mobilenet, 'model.json'))))('oidstream run: resume inside chips + classify (needs ../shared/models)', () => {
  it('kill -9 after some parts of the one chips+classify pass, rerun goes on from there → same chips and predictions', async () => {
    const args = { data: small, models: [`mobilenet=${mobilenet}`], chipsPartRows: 10 };
    const reference = path.join(tmp, 'ref-classify');
    await runPipeline({ ...args, out: reference, ...quiet });
    const want = await snapshot(reference);
    expect(want.predictions.length).toBe(want.chips.length);

    const out = path.join(tmp, 'killed-classify');
    const killed = await runCli(['run', '--data', small, '--out', out, '--model', `mobilenet=${mobilenet}`, '--chips-part-rows', '10', '--json'], {
      killWhen: (line) => {
        const p = progressOf(line);
        return p?.stage === 'chips' && p.done >= 35;
      },
    });
    expect(killed.signal).toBe('SIGKILL');
    const ledger = ledgerOf(out);
    expect(ledger.stages.chips).toBeUndefined();
    expect(ledger.stages.classify).toBeUndefined();
    const partsBefore = ledger.checkpoints.chips?.partsDone ?? 0;
    expect(partsBefore).toBeGreaterThanOrEqual(1);

    const result = await runPipeline({ ...args, out, ...quiet });
    const { scores, ...got } = await snapshot(out);
    const { scores: wantScores, ...wanted } = want;
    expect(got).toEqual(wanted);
    // ONNX Runtime's multi-threaded sums are not bit-reproducible from run to run: same labels, scores within 1e-4
    expect(scores.length).toBe(wantScores.length);
    scores.forEach((x, i) => expect(Math.abs(x - wantScores[i])).toBeLessThan(1e-4));
    const runJson = JSON.parse(readFileSync(result.runJson, 'utf8'));
    expect(runJson.counts.chipsPartsReused).toBe(partsBefore);
    expect(runJson.classification.status).toBe('done');
  }, 600_000);
});

describe.skipIf(needs('../shared/models', existsSync(path.join(mobilenet, 'model.json'))))('oidstream run: a model added later (needs ../shared/models)', () => {
  it('adding --model to a finished run classifies and reuses every earlier stage', async () => {
    const out = path.join(tmp, 'add-model');
    await runPipeline({ data: small, out, ...quiet });
    const result = await runPipeline({ data: small, out, models: [`mobilenet=${mobilenet}`], ...quiet });
    const runJson = JSON.parse(readFileSync(result.runJson, 'utf8'));
    const status = Object.fromEntries(runJson.stages.map((s: { name: string; status: string }) => [s.name, s.status]));
    expect(status).toMatchObject({ select: 'reused', chips: 'reused', classify: 'done' });
    expect(runJson.counts.predictions).toBe(runJson.counts.chips);
    expect(runJson.classification.status).toBe('done');
  }, 300_000);
});
