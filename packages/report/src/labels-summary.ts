import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { LabelCounts } from './charts.js';

export interface ClassSummary extends LabelCounts {
  LabelName?: string;
  images?: number;
  boxes?: number;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** First numeric field whose name matches, e.g. `positive`, `positives`, `positiveLabels`. */
function pick(o: Record<string, unknown>, re: RegExp): number | undefined {
  for (const [k, v] of Object.entries(o)) if (re.test(k) && num(v) !== undefined) return v as number;
  return undefined;
}

/**
 * Reads select's labels-summary.json into one entry per class. Accepts the class list as an array or as an
 * object keyed by MID or name, under a `classes` key or at the top level.
 */
export function normalizeLabelsSummary(json: unknown): ClassSummary[] {
  const root = (json && typeof json === 'object' && 'classes' in json ? (json as { classes: unknown }).classes : json) as unknown;
  const entries: [string | undefined, Record<string, unknown>][] = Array.isArray(root)
    ? root.map((e) => [undefined, e as Record<string, unknown>])
    : root && typeof root === 'object'
      ? Object.entries(root as Record<string, unknown>).filter(([, v]) => v && typeof v === 'object').map(([k, v]) => [k, v as Record<string, unknown>])
      : [];
  return entries.map(([key, e]) => {
    const labels = (e.labels && typeof e.labels === 'object' ? e.labels : e) as Record<string, unknown>;
    const name = String(e.DisplayName ?? e.displayName ?? e.name ?? (key && !key.startsWith('/m/') ? key : undefined) ?? e.LabelName ?? key);
    const mid = (e.LabelName ?? e.mid ?? (key?.startsWith('/m/') ? key : undefined)) as string | undefined;
    return {
      DisplayName: name,
      LabelName: mid,
      positive: pick(labels, /^pos/i) ?? 0,
      negative: pick(labels, /^neg/i) ?? 0,
      images: pick(e, /^(selected)?images$|^selectedImages$/i),
      boxes: pick(e, /^boxes$/i),
    };
  });
}

export async function readLabelsSummary(file: string): Promise<ClassSummary[] | undefined> {
  if (!existsSync(file)) return undefined;
  return normalizeLabelsSummary(JSON.parse(await readFile(file, 'utf8')));
}

/** How the selection was made, as labels-summary.json says: the label files read, the splits, a per-class limit. */
export interface SelectionNote {
  labels?: string;
  splits?: string[];
  limit?: { maxPerClass: number; seed: number; limitedClasses?: number } | null;
}

export async function readSelectionNote(file: string): Promise<SelectionNote | undefined> {
  if (!existsSync(file)) return undefined;
  const json = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  const limit = json.limit as SelectionNote['limit'];
  return {
    labels: typeof json.labels === 'string' ? json.labels : undefined,
    splits: Array.isArray(json.splits) ? json.splits.map(String) : undefined,
    limit: limit && typeof limit.maxPerClass === 'number' ? limit : null,
  };
}
