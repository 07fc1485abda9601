import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { boxColumns, imageLabelColumns, toBoxRecord, toImageLabel, type BadRow, type ImageLabel } from './records.js';
import { readImageLabels } from './read-image-labels.js';

describe('typed records', () => {
  it('types image labels and rejects bad confidence', () => {
    const cols = imageLabelColumns(['ImageID', 'Source', 'LabelName', 'Confidence']);
    expect(toImageLabel(['a', 'machine', '/m/1', '0.7'], cols)).toEqual({ ImageID: 'a', Source: 'machine', LabelName: '/m/1', Confidence: 0.7 });
    expect(toImageLabel(['a', 'x', '/m/1', ''], cols)).toMatch(/Confidence/);
    expect(toImageLabel(['a', 'x', '/m/1', 'yes'], cols)).toMatch(/Confidence/);
    expect(toImageLabel(['a', 'x', '/m/1', '1.5'], cols)).toMatch(/Confidence/);
    expect(() => imageLabelColumns(['ImageID', 'LabelName'], 'f.csv')).toThrow(expect.objectContaining({ code: 'MISSING_COLUMN' }));
  });

  it('maps box columns by header (extra XClick columns, reordered, missing flags → -1)', () => {
    const v6 = boxColumns('ImageID,Source,LabelName,Confidence,XMin,XMax,YMin,YMax,IsOccluded,IsTruncated,IsGroupOf,IsDepiction,IsInside,XClick1X'.split(','));
    const box = toBoxRecord('i1,xclick,/m/1,1,0.1,0.5,0.2,0.9,1,0,-1,0,0,0.3'.split(','), v6);
    expect(box).toEqual({
      ImageID: 'i1', Source: 'xclick', LabelName: '/m/1', Confidence: 1, XMin: 0.1, XMax: 0.5, YMin: 0.2, YMax: 0.9,
      IsOccluded: 1, IsTruncated: 0, IsGroupOf: -1, IsDepiction: 0, IsInside: 0,
    });
    const odd = boxColumns(['XMin', 'XMax', 'YMin', 'YMax', 'LabelName', 'ImageID']);
    expect(toBoxRecord(['0', '1', '0', '1', '/m/1', 'i'], odd)).toMatchObject({ ImageID: 'i', IsInside: -1, Confidence: 1 });
    expect(toBoxRecord('i1,xclick,/m/1,1,abc,0.5,0.2,0.9,1,0,0,0,0'.split(','), v6)).toMatch(/coordinates/);
    expect(toBoxRecord('i1,xclick,/m/1,1,0.1,0.5,0.2,0.9,2,0,0,0,0'.split(','), v6)).toMatch(/IsOccluded/);
  });

  it('readImageLabels reports bad rows with file and line and keeps scanning', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'oid-labels-'));
    const file = path.join(dir, 'train-annotations-human-imagelabels-boxable.csv');
    writeFileSync(
      file,
      'ImageID,Source,LabelName,Confidence\r\n' +
        'a,verification,/m/07dm6,1\r\n' +
        'b,verification,/m/07dm6,oops\r\n' + // line 3: bad confidence
        'c,"unterminated\r\n' + // line 4: bad quoting
        'd,machine,/m/096mb,0.6\r\n',
    );
    const bad: BadRow[] = [];
    const rows: ImageLabel[] = [];
    for await (const r of readImageLabels(file, { onBadRow: (b) => bad.push(b) })) rows.push(r);
    expect(rows.map((r) => r.ImageID)).toEqual(['a']);
    expect(bad[0]).toMatchObject({ file, line: 3 });
    expect(bad.length).toBeGreaterThanOrEqual(2);
    expect(bad.every((b) => b.file === file && b.line >= 3)).toBe(true);
  });

  it('readImageLabels: a missing file is a coded error', async () => {
    await expect(readImageLabels('/nonexistent/x.csv').next()).rejects.toMatchObject({ code: 'MISSING_FILE' });
  });
});
