import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { needs } from '@oidstream/test-needs';
import { parseClassDescriptions } from './class-descriptions.js';
import { parseHierarchy } from './hierarchy.js';
import { BIG_CATS, resolveClass, selectClasses, splitClassList } from './select-classes.js';
import { closestNames } from './closest-names.js';
import { loadMetadata } from './metadata-dir.js';
import type { OidLabelsError } from './errors.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const shared = process.env.OIDSTREAM_SHARED ?? path.resolve(repoRoot, '../shared');
const metadata = path.join(shared, 'oid-real/metadata');

const catalog = parseClassDescriptions(
  ['/m/07dm6,Tiger', '/m/096mb,Lion', '/m/0cd4d,Cheetah', '/m/0c29q,Leopard', '/m/0449p,Jaguar (Animal)', '/m/04g2r,Lynx',
    '/m/0bt9lr,Dog', '/m/01yrx,Cat', '/m/ball1,Ball', '/m/ball2,Ball', '/m/x,"Ducks, geese and swans"', '/m/lc,lion'].join('\r\n'),
);

function codeOf(fn: () => unknown): { code: string; message: string; details?: Record<string, unknown> } {
  try {
    fn();
  } catch (err) {
    return err as OidLabelsError;
  }
  throw new Error('expected a throw');
}

describe('selectClasses', () => {
  it('a class list or name of the wrong type is BAD_OPTIONS, not a TypeError', () => {
    expect(codeOf(() => selectClasses(catalog, { classes: 5 as never })).code).toBe('BAD_OPTIONS');
    expect(codeOf(() => selectClasses(catalog, { under: ['Tiger', null] as never })).code).toBe('BAD_OPTIONS');
    expect(codeOf(() => resolveClass(catalog, undefined as never)).code).toBe('BAD_OPTIONS');
  });

  it('defaults to the six big cats', () => {
    expect(selectClasses(catalog)).toEqual(BIG_CATS);
  });

  it('matches exactly first, then case-insensitively, and accepts MIDs', () => {
    expect(selectClasses(catalog, { classes: 'Lion,lion' }).map((c) => c.LabelName)).toEqual(['/m/096mb', '/m/lc']);
    expect(selectClasses(catalog, { classes: ['  tiger ', 'JAGUAR (animal)', '/m/04g2r'] }).map((c) => c.DisplayName)).toEqual([
      'Tiger', 'Jaguar (Animal)', 'Lynx',
    ]);
  });

  it('reads a class list with CSV quoting, so names with commas work', () => {
    expect(splitClassList('"Ducks, geese and swans", Tiger')).toEqual(['Ducks, geese and swans', 'Tiger']);
    expect(selectClasses(catalog, { classes: '"Ducks, geese and swans",Tiger' })).toHaveLength(2);
  });

  it('an ambiguous name lists the MIDs', () => {
    const err = codeOf(() => selectClasses(catalog, { classes: 'Ball' }));
    expect(err.code).toBe('AMBIGUOUS_CLASS');
    expect(err.message).toContain('/m/ball1');
    expect(err.message).toContain('/m/ball2');
  });

  it('an unknown name suggests the closest names', () => {
    const tigr = codeOf(() => selectClasses(catalog, { classes: 'Tigr' }));
    expect(tigr.code).toBe('UNKNOWN_CLASS');
    expect(tigr.message).toContain('did you mean "Tiger"');
    expect(codeOf(() => selectClasses(catalog, { classes: 'Jaguar' })).message).toContain('"Jaguar (Animal)"');
    expect(closestNames('zzzzzzzzzz', ['Tiger'])).toEqual([]);
    expect(closestNames('Snow leopard', ['Leopard', 'Snowboard', 'Tiger'])[0]).toBe('Leopard');
  });

  it('selects descendants with --under, deduplicated against named classes', () => {
    const h = parseHierarchy({ LabelName: 'root', Subcategory: [{ LabelName: '/m/cats', Subcategory: [{ LabelName: '/m/07dm6' }, { LabelName: '/m/096mb' }] }] });
    const c2 = parseClassDescriptions('/m/cats,Cats\n/m/07dm6,Tiger\n/m/096mb,Lion\n');
    expect(selectClasses(c2, { classes: 'Lion', under: 'Cats', hierarchy: h }).map((c) => c.DisplayName)).toEqual(['Lion', 'Tiger']);
    expect(codeOf(() => selectClasses(c2, { under: 'Cats' })).code).toBe('MISSING_HIERARCHY');
    expect(codeOf(() => selectClasses(c2, { under: 'Tiger', hierarchy: h })).code).toBe('EMPTY_SELECTION');
  });
});

describe.skipIf(needs('../shared/oid-real', existsSync(metadata)))('selection on the real files (needs ../shared/oid-real)', () => {
  it('v5: default six, --under Carnivore 17; v4 default still resolves by MID with the v4 names', () => {
    const m = loadMetadata(metadata);
    expect(selectClasses(m.catalog).map((c) => c.LabelName)).toEqual(['/m/07dm6', '/m/096mb', '/m/0cd4d', '/m/0c29q', '/m/0449p', '/m/04g2r']);
    expect(selectClasses(m.catalog, { under: 'Carnivore', hierarchy: m.hierarchy })).toHaveLength(17);
    const v4 = loadMetadata(path.join(metadata, 'class-descriptions-boxable.v4-2018_04.csv'));
    expect(selectClasses(v4.catalog).find((c) => c.LabelName === '/m/0449p')?.DisplayName).toBe('Jaguar');
    expect(selectClasses(v4.catalog, { under: 'carnivore', hierarchy: v4.hierarchy })).toHaveLength(17);
  });

  it('the 20k file: real duplicate names are ambiguous, and "Jaguar" suggests "Jaguar (Animal)" first', () => {
    const { catalog: all } = loadMetadata(path.join(metadata, 'oidv6-class-descriptions.csv'));
    const ball = codeOf(() => selectClasses(all, { classes: 'Ball' }));
    expect(ball.code).toBe('AMBIGUOUS_CLASS');
    expect((ball.details!.candidates as unknown[]).length).toBeGreaterThan(1);
    const jaguar = codeOf(() => selectClasses(all, { classes: 'Jaguar' }));
    expect(jaguar.code).toBe('UNKNOWN_CLASS');
    expect((jaguar.details!.suggestions as string[])[0]).toMatch(/^Jaguar \((Animal|Automobile)\)$/);
  });
});
