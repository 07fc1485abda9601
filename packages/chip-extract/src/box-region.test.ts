import { describe, expect, it } from 'vitest';
import { boxToRegion, resolveChipOptions } from './index.js';

const o = resolveChipOptions();
const box = (XMin: unknown, XMax: unknown, YMin: unknown, YMax: unknown) => ({ ImageID: '0123456789abcdef', XMin, XMax, YMin, YMax });

describe('boxToRegion', () => {
  it('maps normalised coordinates to rounded pixels', () => {
    expect(boxToRegion(box(0.1, 0.5, 0.25, 0.75), 200, 100, o)).toEqual({ region: { left: 20, top: 25, width: 80, height: 50 } });
    expect(boxToRegion(box(0, 1, 0, 1), 640, 480, o)).toEqual({ region: { left: 0, top: 0, width: 640, height: 480 } });
  });
  it('clamps boxes past the edges and keeps at least 1×1', () => {
    expect(boxToRegion(box(-0.2, 0.5, 0.9, 1.3), 100, 100, o)).toEqual({ region: { left: 0, top: 90, width: 50, height: 10 } });
    expect(boxToRegion(box(0.5, 0.501, 0.5, 0.5001), 100, 100, o)).toEqual({ region: { left: 50, top: 50, width: 1, height: 1 } });
    expect(boxToRegion(box(0.999, 1, 0.999, 1), 100, 100, o)).toEqual({ region: { left: 99, top: 99, width: 1, height: 1 } });
  });
  it('rejects NaN, inverted, zero-area and outside boxes with codes', () => {
    expect(boxToRegion(box(NaN, 0.5, 0, 1), 10, 10, o)).toMatchObject({ code: 'BAD_BOX' });
    expect(boxToRegion(box(null, 0.5, 0, 1), 10, 10, o)).toMatchObject({ code: 'BAD_BOX' });
    expect(boxToRegion(box('0.1', 0.5, 0, 1), 10, 10, o)).toMatchObject({ code: 'BAD_BOX' });
    expect(boxToRegion(box(0.1, Infinity, 0, 1), 10, 10, o)).toMatchObject({ code: 'BAD_BOX' });
    expect(boxToRegion(box(0.6, 0.5, 0, 1), 10, 10, o)).toMatchObject({ code: 'BAD_BOX', reason: expect.stringMatching(/inverted/) });
    expect(boxToRegion(box(0.5, 0.5, 0, 1), 10, 10, o)).toMatchObject({ code: 'EMPTY_BOX' });
    expect(boxToRegion(box(1.2, 1.5, 0, 1), 10, 10, o)).toMatchObject({ code: 'BOX_OUTSIDE_IMAGE' });
    expect(boxToRegion(box(0, 1, -0.5, -0.1), 10, 10, o)).toMatchObject({ code: 'BOX_OUTSIDE_IMAGE' });
  });
  it('applies padding, square and minBoxSize', () => {
    const pad = resolveChipOptions({ padding: 10 });
    expect(boxToRegion(box(0.2, 0.6, 0.2, 0.4), 100, 100, pad)).toEqual({ region: { left: 16, top: 18, width: 48, height: 24 } });
    const sq = resolveChipOptions({ square: true });
    expect(boxToRegion(box(0.2, 0.6, 0.2, 0.4), 100, 100, sq)).toEqual({ region: { left: 20, top: 10, width: 40, height: 40 } });
    // near an edge the square slides inside instead of being cut
    expect(boxToRegion(box(0.0, 0.4, 0.0, 0.1), 100, 100, sq)).toEqual({ region: { left: 0, top: 0, width: 40, height: 40 } });
    const min = resolveChipOptions({ minBoxSize: 8 });
    expect(boxToRegion(box(0.1, 0.15, 0.1, 0.5), 100, 100, min)).toMatchObject({ code: 'BOX_TOO_SMALL' });
  });
  it('rejects bad options with a code', () => {
    expect(() => resolveChipOptions({ quality: 0 })).toThrowError(expect.objectContaining({ code: 'BAD_OPTIONS' }));
    expect(() => resolveChipOptions({ concurrency: 0 })).toThrowError(/concurrency/);
    expect(() => resolveChipOptions({ padding: -1 })).toThrowError(/padding/);
  });
});
