import type { BoxRecord } from '@oidstream/oid-labels';
import { ownString } from './own-string.js';

/** What a kept box is compared by (its image is the map key): class, source, coordinates, the five flags packed. */
type Kept = [labelName: string, source: string, xMin: number, xMax: number, yMin: number, yMax: number, flags: number];

/**
 * The boxes kept so far, by image: a box with the same image, class, source, coordinates and flags as one kept before
 * is a duplicate (it would give the same chip twice). Compared field by field (numbers by value), so no key string is
 * built per box. Memory: a few numbers per kept box (strings are shared).
 */
export class BoxDedup {
  private readonly byImage = new Map<string, Kept[]>();
  private readonly strings = new Map<string, string>();

  /** True when the box is new (it is remembered); false for a duplicate. */
  add(box: BoxRecord): boolean {
    const flags = (box.IsOccluded + 1) + 3 * (box.IsTruncated + 1) + 9 * (box.IsGroupOf + 1) + 27 * (box.IsDepiction + 1) + 81 * (box.IsInside + 1);
    let kept = this.byImage.get(box.ImageID);
    if (kept) {
      for (const k of kept) {
        if (k[0] === box.LabelName && k[1] === box.Source && k[2] === box.XMin && k[3] === box.XMax && k[4] === box.YMin && k[5] === box.YMax && k[6] === flags) return false;
      }
    } else this.byImage.set(ownString(box.ImageID), (kept = []));
    kept.push([this.shared(box.LabelName), this.shared(box.Source), box.XMin, box.XMax, box.YMin, box.YMax, flags]);
    return true;
  }

  /** Images with at least one kept box. */
  get images(): number {
    return this.byImage.size;
  }

  private shared(s: string): string {
    let own = this.strings.get(s);
    if (own === undefined) this.strings.set((own = ownString(s)), own);
    return own;
  }
}
