import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { writeParquet, type ColumnSpec } from '@oidstream/parquet-io';
import { registerChips } from '../src/commands/chips.js';
import { registerPack } from '../src/commands/pack.js';

/** Test support for the pack/chips stage tests. */

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const shared = process.env.OIDSTREAM_SHARED ?? path.resolve(repoRoot, '../shared');
export const real = path.join(shared, 'oid-real');

export const BOX_COLUMNS: ColumnSpec[] = [
  ...['ImageID', 'Source', 'LabelName'].map((name) => ({ name, type: 'STRING' as const })),
  { name: 'Confidence', type: 'DOUBLE' },
  ...['XMin', 'XMax', 'YMin', 'YMax'].map((name) => ({ name, type: 'DOUBLE' as const })),
  ...['IsOccluded', 'IsTruncated', 'IsGroupOf', 'IsDepiction', 'IsInside'].map((name) => ({ name, type: 'INT32' as const })),
  { name: 'DisplayName', type: 'STRING' },
];

/** boxes.parquet as `select` would write it, built here from the derived OID-layout CSV. */
export async function realBoxesParquet(file: string): Promise<Record<string, unknown>[]> {
  const names = new Map<string, string>();
  for (const line of readFileSync(path.join(real, 'metadata/class-descriptions-boxable.csv'), 'utf8').split(/\r?\n/)) {
    const i = line.indexOf(',');
    if (i > 0) names.set(line.slice(0, i), line.slice(i + 1).replace(/^"|"$/g, ''));
  }
  const [header, ...lines] = readFileSync(path.join(real, 'annotations/derived-annotations-bbox.csv'), 'utf8').trim().split(/\r?\n/);
  const cols = header.split(',');
  const rows = lines.map((l) => {
    const v = l.split(',');
    const r: Record<string, unknown> = {};
    cols.forEach((c, i) => {
      const spec = BOX_COLUMNS.find((s) => s.name === c)!;
      r[c] = spec.type === 'STRING' ? v[i] : Number(v[i]);
    });
    r.DisplayName = names.get(r.LabelName as string) ?? null;
    return r;
  });
  await writeParquet(file, BOX_COLUMNS, rows);
  return rows;
}

/**
 * `oidstream pack|chips …` in-process, with the CLI's exit-code rule (coded error → one line, exit 2). Only these two
 * commands are registered so the test does not depend on other commands' state.
 */
export async function cli(...args: string[]): Promise<number> {
  const program = new Command('oidstream').exitOverride();
  registerPack(program);
  registerChips(program);
  try {
    await program.parseAsync(['node', 'oidstream', ...args]);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    const code = (err as { code?: unknown }).code;
    if (typeof code !== 'string') throw err;
    process.stderr.write(`oidstream: ${(err as Error).message} [${code}]\n`);
    return 2;
  }
}

