import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { needs } from '@oidstream/test-needs';
import { main } from '../cli.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const shared = process.env.OIDSTREAM_SHARED ?? path.resolve(repoRoot, '../shared');
const realMetadata = path.join(shared, 'oid-real/metadata');
const generated = path.join(repoRoot, 'test-data/oid/metadata');

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const [o, e] = [process.stdout.write.bind(process.stdout), process.stderr.write.bind(process.stderr)];
  process.stdout.write = ((s: string) => (out.push(String(s)), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => (err.push(String(s)), true)) as typeof process.stderr.write;
  try {
    const code = await main(['node', 'oidstream', 'classes', ...args]);
    return { code, out: out.join(''), err: err.join('') };
  } finally {
    process.stdout.write = o;
    process.stderr.write = e;
  }
}

const BIG_CATS = [
  { LabelName: '/m/07dm6', DisplayName: 'Tiger' },
  { LabelName: '/m/096mb', DisplayName: 'Lion' },
  { LabelName: '/m/0cd4d', DisplayName: 'Cheetah' },
  { LabelName: '/m/0c29q', DisplayName: 'Leopard' },
  { LabelName: '/m/0449p', DisplayName: 'Jaguar (Animal)' },
  { LabelName: '/m/04g2r', DisplayName: 'Lynx' },
];

for (const [name, metadata] of [['generated test-data/oid', generated], ['real OID metadata (needs ../shared/oid-real)', realMetadata]] as const) {
  describe.skipIf(needs(metadata, existsSync(metadata)))(`oidstream classes on ${name}`, () => {
    it('prints the six big cats by default (--json), 17 under Carnivore, and a tab table without --json', async () => {
      const def = await run('--metadata', metadata, '--json');
      expect(def.code).toBe(0);
      expect(JSON.parse(def.out)).toEqual(BIG_CATS);
      const under = await run('--metadata', metadata, '--under', 'Carnivore', '--json');
      const names = (JSON.parse(under.out) as { DisplayName: string }[]).map((c) => c.DisplayName);
      expect(names).toHaveLength(17);
      expect(names).toContain('Teddy bear');
      const table = await run('--metadata', metadata, '--classes', 'tiger', '--classes', 'Lion');
      expect(table.out).toBe('/m/07dm6\tTiger\n/m/096mb\tLion\n');
    });

    it('an unknown name exits 2 with one line and a suggestion', async () => {
      const r = await run('--metadata', metadata, '--classes', 'Tigr');
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toMatch(/did you mean "Tiger".*\[UNKNOWN_CLASS\]/);
    });
  });
}

describe('oidstream classes: bad input', () => {
  it('a missing metadata dir is a coded one-line error', async () => {
    const r = await run('--metadata', path.join(repoRoot, 'no-such-dir'));
    expect(r.code).toBe(2);
    expect(r.err).toContain('[MISSING_FILE]');
  });
});
