import { describe, expect, it } from 'vitest';
import { CHIP_COLUMNS, chipsColumns } from './index.js';

const boxes = [
  { name: 'ImageID', type: 'STRING' as const },
  ...['XMin', 'XMax', 'YMin', 'YMax'].map((name) => ({ name, type: 'DOUBLE' as const })),
  { name: 'DisplayName', type: 'STRING' as const },
];

describe('chipsColumns', () => {
  it('is the box columns, then the chip columns', () => {
    expect(chipsColumns(boxes).map((c) => c.name)).toEqual([...boxes.map((c) => c.name), ...CHIP_COLUMNS.map((c) => c.name)]);
  });

  it('refuses a file once when a box column is missing, of the wrong type, or clashes with a chip column', () => {
    expect(() => chipsColumns(boxes.filter((c) => c.name !== 'YMax'), 'b.parquet')).toThrow(/b\.parquet has no YMax column/);
    const strings = boxes.map((c) => (c.name === 'XMin' ? { ...c, type: 'STRING' as const } : c));
    expect(() => chipsColumns(strings, 'b.parquet')).toThrow(expect.objectContaining({ code: 'BAD_OPTIONS', message: 'b.parquet: column XMin is STRING, expected DOUBLE or FLOAT' }));
    expect(() => chipsColumns([...boxes, { name: 'chip', type: 'BYTE_ARRAY' }])).toThrow(/already has a chip column/);
  });
});
