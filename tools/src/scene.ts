import { Rng } from './random.js';
import { ancestorsOf, BIG_CAT_MIDS, BOXED_MIDS, GEN_CLASSES } from './oid-classes.js';

export type Split = 'train' | 'validation' | 'test';
export const SPLITS: readonly Split[] = ['test', 'train', 'validation'];

/** A box in normalised coordinates. */
export interface Rect {
  XMin: number;
  XMax: number;
  YMin: number;
  YMax: number;
}

export interface GenBox extends Rect {
  LabelName: string;
  Source: 'xclick' | 'activemil';
  IsOccluded: number;
  IsTruncated: number;
  IsGroupOf: number;
  IsDepiction: number;
  IsInside: number;
  /** XClick1X..4X, XClick1Y..4Y (train files only); -1 for activemil boxes. */
  clicks: number[];
}

export interface GenLabel {
  LabelName: string;
  Source: string;
  /** As written in the CSV ("1", "0", "0.7"). */
  Confidence: string;
}

export interface GenImage {
  ImageID: string;
  split: Split;
  /** Size of the stored JPEG. */
  width: number;
  height: number;
  /** OID Rotation: degrees counter-clockwise that image and boxes must turn to look right; null = unknown (NaN). */
  rotation: 0 | 90 | 180 | 270 | null;
  /** Objects as drawn in the upright picture (for the JPEG). */
  objects: { LabelName: string; upright: Rect }[];
  /** Boxes in the stored image's frame, as OID writes them. */
  boxes: GenBox[];
  human: GenLabel[];
  machine: GenLabel[];
}

const SIZES: readonly [number, number][] = [
  [160, 120], [224, 224], [240, 320], [320, 240], [320, 213], [400, 300], [480, 360], [360, 480], [512, 288], [640, 480],
];
const DISTRACTORS = BOXED_MIDS.filter((m) => !(BIG_CAT_MIDS as readonly string[]).includes(m));
const ALL_MIDS = GEN_CLASSES.map((c) => c.LabelName);

const r6 = (v: number): number => Math.round(v * 1e6) / 1e6;

/**
 * Turn an upright rect into the stored frame: the stored image is the upright one turned clockwise by `rotation`
 * (so turning it counter-clockwise by `rotation`, as OID says, restores it).
 */
export function toStoredFrame(r: Rect, rotation: number | null): Rect {
  switch (rotation) {
    case 90:
      return { XMin: r6(1 - r.YMax), XMax: r6(1 - r.YMin), YMin: r.XMin, YMax: r.XMax };
    case 180:
      return { XMin: r6(1 - r.XMax), XMax: r6(1 - r.XMin), YMin: r6(1 - r.YMax), YMax: r6(1 - r.YMin) };
    case 270:
      return { XMin: r.YMin, XMax: r.YMax, YMin: r6(1 - r.XMax), YMax: r6(1 - r.XMin) };
    default:
      return { XMin: r.XMin, XMax: r.XMax, YMin: r.YMin, YMax: r.YMax };
  }
}

/**
 * Plan image number `index` (pure; each image has its own PRNG stream so any image can be planned alone).
 * The first 12 images show the six big cats in turn, so even a tiny data dir has every one of them; after that an
 * object is a big cat with probability `bigCatShare`.
 */
export function planImage(seed: number, index: number, ImageID: string, bigCatShare = 0.35): GenImage {
  const rng = new Rng(Math.imul(seed, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b));
  const split: Split = index < 3 ? SPLITS[index] : rng.chance(0.7) ? 'train' : rng.chance(0.5) ? 'validation' : 'test';
  const [uw, uh] = rng.pick(SIZES);
  const rotRoll = rng.next();
  const rotation: GenImage['rotation'] = rotRoll < 0.05 ? null : rotRoll < 0.25 ? rng.pick([90, 180, 270] as const) : 0;
  const turned = rotation === 90 || rotation === 270;
  const width = turned ? uh : uw;
  const height = turned ? uw : uh;

  const objects: GenImage['objects'] = [];
  const count = rng.int(1, 4);
  for (let i = 0; i < count; i++) {
    const forced = index < 12 && i === 0;
    const mid = forced ? BIG_CAT_MIDS[index % 6] : rng.chance(bigCatShare) ? rng.pick(BIG_CAT_MIDS) : rng.pick(DISTRACTORS);
    const w = 0.12 + rng.next() * 0.55;
    const h = 0.12 + rng.next() * 0.55;
    const x = rng.next() * (1 - w);
    const y = rng.next() * (1 - h);
    objects.push({ LabelName: mid, upright: { XMin: r6(x), XMax: r6(x + w), YMin: r6(y), YMax: r6(y + h) } });
  }

  const boxes: GenBox[] = objects.map((o) => {
    const rect = toStoredFrame(o.upright, rotation);
    const activemil = rng.chance(0.12);
    const unknown = activemil && rng.chance(0.5);
    const flag = (p: number): number => (unknown ? -1 : rng.chance(p) ? 1 : 0);
    let clicks: number[];
    if (activemil) clicks = [-1, -1, -1, -1, -1, -1, -1, -1];
    else {
      const dx = rect.XMax - rect.XMin;
      const dy = rect.YMax - rect.YMin;
      clicks = [rect.XMin, rect.XMax, r6(rect.XMin + rng.next() * dx), r6(rect.XMin + rng.next() * dx), r6(rect.YMin + rng.next() * dy), r6(rect.YMin + rng.next() * dy), rect.YMin, rect.YMax];
    }
    const box: GenBox = {
      LabelName: o.LabelName, Source: activemil ? 'activemil' : 'xclick', XMin: rect.XMin, XMax: rect.XMax, YMin: rect.YMin, YMax: rect.YMax,
      IsOccluded: flag(0.3), IsTruncated: flag(0.2), IsGroupOf: flag(0.1), IsDepiction: flag(0.05), IsInside: flag(0.03), clicks,
    };
    return box;
  });

  // Image-level labels: human positives for the boxed classes (a few left to machine labels only, so some boxes sit
  // on images the selection must drop), some ancestors, and negatives (often a big cat: "no tiger here").
  const present = [...new Set(objects.map((o) => o.LabelName))];
  const human: GenLabel[] = [];
  const machine: GenLabel[] = [];
  const humanSource = (): string => (rng.chance(0.6) ? 'verification' : 'crowdsource-verification');
  const machineOnly = new Set(present.filter((_, i) => !(index < 12 && i === 0) && rng.chance(0.08)));
  for (const mid of present) {
    if (!machineOnly.has(mid)) human.push({ LabelName: mid, Source: humanSource(), Confidence: '1' });
    if (rng.chance(0.3)) for (const a of ancestorsOf(mid).slice(0, 2)) human.push({ LabelName: a, Source: humanSource(), Confidence: '1' });
  }
  const negatives = rng.int(0, 2);
  for (let i = 0; i < negatives; i++) {
    const mid = rng.chance(0.5) ? rng.pick(BIG_CAT_MIDS) : rng.pick(ALL_MIDS);
    if (!present.includes(mid) && !human.some((l) => l.LabelName === mid)) human.push({ LabelName: mid, Source: humanSource(), Confidence: '0' });
  }
  if (rng.chance(0.5) || machineOnly.size > 0) {
    for (const mid of present) {
      // Fractional confidences, the 0.99 boundary included (kept only when strictly above the threshold).
      const c = machineOnly.has(mid) ? rng.pick(['0.6', '0.9', '0.95', '0.99', '0.995', '1']) : rng.pick(['0.5', '0.7', '0.8', '0.9', '0.99', '1']);
      machine.push({ LabelName: mid, Source: 'machine', Confidence: c });
    }
    if (rng.chance(0.5)) machine.push({ LabelName: rng.pick(ALL_MIDS), Source: 'machine', Confidence: rng.pick(['0.1', '0.3', '0.55']) });
  }
  // OID files list an image's rows grouped; within the image, by LabelName.
  const byMid = (a: { LabelName: string }, b: { LabelName: string }): number => (a.LabelName < b.LabelName ? -1 : a.LabelName > b.LabelName ? 1 : 0);
  human.sort(byMid);
  dedupeLabels(human);
  machine.sort(byMid);
  dedupeLabels(machine);
  boxes.sort(byMid);
  return { ImageID, split, width, height, rotation, objects, boxes, human, machine };
}

function dedupeLabels(labels: GenLabel[]): void {
  for (let i = labels.length - 1; i > 0; i--) if (labels[i].LabelName === labels[i - 1].LabelName) labels.splice(i, 1);
}

/**
 * Increasing 16-hex-digit ImageIDs, so every split file comes out sorted by ImageID as in OID, without holding the
 * images in memory.
 */
export class ImageIdSequence {
  private hi: number;
  private readonly rng: Rng;
  private readonly step: number;
  /** `expected`: about how many IDs will be drawn, so they spread over the whole range (as real IDs do). */
  constructor(seed: number, expected = 1000) {
    this.rng = new Rng(seed ^ 0x5bd1e995);
    this.step = Math.max(2, Math.floor(0xf0000000 / Math.max(1, expected * 1.25)));
    this.hi = this.rng.int(0, this.step);
  }
  next(): string {
    this.hi = Math.min(this.hi + this.rng.int(1, this.step), 0xffffffff); // saturates only far past `expected`
    const lo = Math.floor(this.rng.next() * 0x100000000);
    return this.hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
  }
}
