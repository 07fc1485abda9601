import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { needs } from '@oidstream/test-needs';
import { parseHierarchy } from './hierarchy.js';
import { loadMetadata } from './metadata-dir.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const shared = process.env.OIDSTREAM_SHARED ?? path.resolve(repoRoot, '../shared');
const metadata = path.join(shared, 'oid-real/metadata');

// A small DAG in OID's JSON shape: "toy" appears under two parents, and "bear" too (so its subtree is met twice).
const DAG = JSON.stringify({
  LabelName: 'root',
  Subcategory: [
    { LabelName: 'carnivore', Subcategory: [{ LabelName: 'bear', Subcategory: [{ LabelName: 'teddy' }] }, { LabelName: 'cat' }] },
    { LabelName: 'toy', Subcategory: [{ LabelName: 'teddy' }, { LabelName: 'bear', Subcategory: [{ LabelName: 'teddy' }] }] },
    { LabelName: 'person', Part: [{ LabelName: 'face' }] },
  ],
});

describe('ClassHierarchy', () => {
  it('merges repeated MIDs into one node and lists each descendant once', () => {
    const h = parseHierarchy(DAG.replace(/,/g, ',\r\n'));
    expect(h.descendants('carnivore')).toEqual(['bear', 'teddy', 'cat']);
    expect(h.descendants('toy')).toEqual(['teddy', 'bear']);
    expect(h.descendants('root')).toHaveLength(6);
    expect(h.parents('teddy')).toEqual(expect.arrayContaining(['bear', 'toy']));
    expect(h.ancestors('teddy')).toEqual(['bear', 'toy', 'carnivore', 'root']);
  });

  it('follows Part edges only when asked, includes self only when asked', () => {
    const h = parseHierarchy(DAG);
    expect(h.descendants('person')).toEqual([]);
    expect(h.descendants('person', { includeParts: true, includeSelf: true })).toEqual(['person', 'face']);
  });

  it('rejects bad JSON and unknown MIDs with codes', () => {
    expect(() => parseHierarchy('{')).toThrow(expect.objectContaining({ code: 'BAD_HIERARCHY' }));
    expect(() => parseHierarchy('{"Subcategory": []}')).toThrow(expect.objectContaining({ code: 'BAD_HIERARCHY' }));
    expect(() => parseHierarchy(DAG).descendants('nope')).toThrow(expect.objectContaining({ code: 'NOT_IN_HIERARCHY' }));
  });
});

describe.skipIf(needs('../shared/oid-real', existsSync(metadata)))('real bbox_labels_600_hierarchy.json (needs ../shared/oid-real)', () => {
  it('has 602 MIDs and 17 classes under Carnivore, Teddy bear included', () => {
    const { hierarchy, catalog } = loadMetadata(metadata);
    expect(hierarchy).toBeDefined();
    expect([...hierarchy!.labelNames()]).toHaveLength(602);
    expect(hierarchy!.root).toBe('/m/0bl9f');
    const under = hierarchy!.descendants('/m/01lrl').map((m) => catalog.displayName(m));
    expect(under).toHaveLength(17);
    expect(under).toEqual(expect.arrayContaining(['Teddy bear', 'Tiger', 'Lion', 'Cheetah', 'Leopard', 'Jaguar (Animal)', 'Lynx', 'Dog']));
    expect(hierarchy!.ancestors('/m/07dm6')).toEqual(['/m/01lrl', '/m/04rky', '/m/0jbk', '/m/0bl9f']);
  });
});
