import type { BadRow, ClassDescription } from '@oidstream/oid-labels';
import type { ScanStats } from './scan-csv.js';

/** Which image-level label files count: human-verified, machine-generated, or both. */
export type LabelSource = 'human' | 'machine';

/** Image-label rows of one class from one source. */
export interface LabelCounts {
  /** Rows with Confidence > minConfidence. */
  positive: number;
  /** Rows with Confidence 0 (verified absent, or machine-scored 0). */
  negative: number;
  /** Rows in between (machine labels at or below the threshold). */
  belowThreshold: number;
}

/** Per-class counts of labels-summary.json. */
export interface ClassSummary {
  LabelName: string;
  DisplayName: string;
  /** Image-label rows with Confidence > minConfidence (all sources read). */
  positiveLabels: number;
  /** Image-label rows with Confidence 0. */
  negativeLabels: number;
  /** Rows in between. */
  belowThresholdLabels: number;
  /** The same three counts per label source read. */
  bySource: Partial<Record<LabelSource, LabelCounts>>;
  /** Distinct images selected for this class (at most maxPerClass when a limit is set). */
  selectedImages: number;
  /** True when maxPerClass left out some images of this class. */
  limited: boolean;
  /** Boxes of this class written out. */
  boxes: number;
}

export interface LabelsSummary {
  minConfidence: number;
  /** Label files read: 'human', 'machine' or 'all'. */
  labels: 'human' | 'machine' | 'all';
  /** Splits whose files were read. */
  splits: string[];
  /** The per-class limit, or null when every image was kept. */
  limit: { maxPerClass: number; seed: number; limitedClasses: number } | null;
  filters: { excludeGroupOf: boolean; excludeDepiction: boolean; excludeOccluded: boolean; excludeTruncated: boolean; excludeInside: boolean; minBoxSize: number };
  classes: ClassSummary[];
  /** duplicateBoxes: box rows identical to one kept before (dropped: they would give the same chip twice). */
  totals: { selectedImages: number; boxes: number; boxesFilteredOut: number; duplicateBoxes: number; imagesWithBoxes: number };
  files: { metadata: string; labels: string[]; boxes: string[] };
  scan: { labels: ScanStats; boxes: ScanStats; seconds: number };
  badRows: { count: number; first: BadRow[] };
}

/** Counts image-label rows per class and source (pure). */
export class LabelTally {
  private readonly counts = new Map<string, Partial<Record<LabelSource, LabelCounts>>>();

  constructor(private readonly minConfidence: number) {}

  /** Count one row (or `count` rows of the same Confidence); true when it is a positive (Confidence > minConfidence). */
  add(labelName: string, source: LabelSource, confidence: number, count = 1): boolean {
    let bySource = this.counts.get(labelName);
    if (!bySource) this.counts.set(labelName, (bySource = {}));
    const c = (bySource[source] ??= { positive: 0, negative: 0, belowThreshold: 0 });
    if (confidence > this.minConfidence) {
      c.positive += count;
      return true;
    }
    if (confidence === 0) c.negative += count;
    else c.belowThreshold += count;
    return false;
  }

  /** The counts of one class, for the sources read (zeros when a source had no row of it). */
  classCounts(labelName: string, sources: readonly LabelSource[]): Pick<ClassSummary, 'positiveLabels' | 'negativeLabels' | 'belowThresholdLabels' | 'bySource'> {
    const found = this.counts.get(labelName) ?? {};
    const bySource: Partial<Record<LabelSource, LabelCounts>> = {};
    let positiveLabels = 0;
    let negativeLabels = 0;
    let belowThresholdLabels = 0;
    for (const s of sources) {
      const c = found[s] ?? { positive: 0, negative: 0, belowThreshold: 0 };
      bySource[s] = { ...c };
      positiveLabels += c.positive;
      negativeLabels += c.negative;
      belowThresholdLabels += c.belowThreshold;
    }
    return { positiveLabels, negativeLabels, belowThresholdLabels, bySource };
  }
}

/** One summary line per selected class, in the order of the class selection. */
export function classSummaries(
  classes: readonly ClassDescription[],
  tally: LabelTally,
  sources: readonly LabelSource[],
  perClass: (labelName: string) => { selectedImages: number; limited: boolean; boxes: number },
): ClassSummary[] {
  return classes.map((c) => ({ LabelName: c.LabelName, DisplayName: c.DisplayName, ...tally.classCounts(c.LabelName, sources), ...perClass(c.LabelName) }));
}
