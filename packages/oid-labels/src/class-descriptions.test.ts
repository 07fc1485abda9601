import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { needs } from '@oidstream/test-needs';
import { parseClassDescriptions } from './class-descriptions.js';
import { readClassDescriptions } from './metadata-dir.js';
import { OidLabelsError } from './errors.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const shared = process.env.OIDSTREAM_SHARED ?? path.resolve(repoRoot, '../shared');
const metadata = path.join(shared, 'oid-real/metadata');

describe('parseClassDescriptions (inline variants)', () => {
  it('reads the v5/v6 layout: no header, CRLF, last line LF', () => {
    const c = parseClassDescriptions('/m/011k07,Tortoise\r\n/m/0449p,Jaguar (Animal)\r\n/m/04g2r,Lynx\n');
    expect(c.hadHeader).toBe(false);
    expect(c.size).toBe(3);
    expect(c.displayName('/m/0449p')).toBe('Jaguar (Animal)');
    expect(c.variant).toBe('boxable-v5');
    expect(c.displayName('/m/04g2r')).toBe('Lynx'); // the last row ends in LF, not CRLF
  });

  it('detects a LabelName,DisplayName header and keeps quoted commas and quotes', () => {
    const c = parseClassDescriptions('LabelName,DisplayName\n/m/01c_0l,"Ducks, geese and swans"\n/m/x1,"The ""best"" cat"\n/m/0449p,Jaguar\n');
    expect(c.hadHeader).toBe(true);
    expect(c.classes.map((x) => x.DisplayName)).toEqual(['Ducks, geese and swans', 'The "best" cat', 'Jaguar']);
    expect(c.variant).toBe('boxable-v4');
  });

  it('throws BAD_CLASS_FILE for a row without a display name and for an empty file', () => {
    expect(() => parseClassDescriptions('/m/1,A\n/m/2\n', { source: 'x.csv' })).toThrow(/x.csv:2/);
    try {
      parseClassDescriptions('');
      expect.unreachable();
    } catch (err) {
      expect((err as OidLabelsError).code).toBe('BAD_CLASS_FILE');
    }
  });
});

describe.skipIf(needs('../shared/oid-real', existsSync(metadata)))('real OID class files (needs ../shared/oid-real)', () => {
  it('v5/v6 boxable: 601 classes, six big cats with their MIDs', () => {
    const c = readClassDescriptions(path.join(metadata, 'class-descriptions-boxable.csv'));
    expect(c.size).toBe(601);
    expect(c.variant).toBe('boxable-v5');
    expect(['/m/07dm6', '/m/096mb', '/m/0cd4d', '/m/0c29q', '/m/0449p', '/m/04g2r'].map((m) => c.displayName(m))).toEqual([
      'Tiger', 'Lion', 'Cheetah', 'Leopard', 'Jaguar (Animal)', 'Lynx',
    ]);
    expect(c.classes.every((x) => !/[\r\n]/.test(x.DisplayName) && !/[\r\n]/.test(x.LabelName))).toBe(true);
  });

  it('v4 boxable: 601 classes, Jaguar without qualifier, 16 names differ from v5', () => {
    const v4 = readClassDescriptions(path.join(metadata, 'class-descriptions-boxable.v4-2018_04.csv'));
    const v5 = readClassDescriptions(path.join(metadata, 'class-descriptions-boxable.csv'));
    expect(v4.size).toBe(601);
    expect(v4.variant).toBe('boxable-v4');
    const differing = v4.classes.filter((c) => v5.displayName(c.LabelName) !== c.DisplayName);
    expect(differing).toHaveLength(16);
    expect(differing.map((c) => c.DisplayName)).toEqual(expect.arrayContaining(["Jaguar", "Bat", "Organ", "Drill", "Squash"]));
  });

  it('oidv6-class-descriptions.csv without and with a header line gives the same classes', () => {
    const file = path.join(metadata, 'oidv6-class-descriptions.csv');
    const bare = readClassDescriptions(file);
    const withHeader = parseClassDescriptions(Buffer.concat([Buffer.from('LabelName,DisplayName\n'), readFileSync(file)]));
    expect(bare.hadHeader).toBe(false);
    expect(withHeader.hadHeader).toBe(true);
    expect(bare.size).toBe(19994);
    expect(bare.variant).toBe('all-classes');
    expect(withHeader.classes).toEqual(bare.classes);
    expect(bare.displayName('/m/01c_0l')).toBe('Ducks, geese and swans');
  });
});
