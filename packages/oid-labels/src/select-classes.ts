import { parse } from 'csv-parse/sync';
import type { ClassCatalog, ClassDescription } from './class-descriptions.js';
import type { ClassHierarchy, DescendantOptions } from './hierarchy.js';
import { closestNames } from './closest-names.js';
import { OidLabelsError } from './errors.js';

/** The six big cats, the default selection (OID has no "big cat" node). */
export const BIG_CATS: readonly ClassDescription[] = Object.freeze([
  { LabelName: '/m/07dm6', DisplayName: 'Tiger' },
  { LabelName: '/m/096mb', DisplayName: 'Lion' },
  { LabelName: '/m/0cd4d', DisplayName: 'Cheetah' },
  { LabelName: '/m/0c29q', DisplayName: 'Leopard' },
  { LabelName: '/m/0449p', DisplayName: 'Jaguar (Animal)' },
  { LabelName: '/m/04g2r', DisplayName: 'Lynx' },
]);

export interface ClassSelectionOptions {
  /** Display names (or MIDs) to select. A string is read as one CSV row, so `"Tiger,Lion"` and `'"A, b",C'` work. */
  classes?: string | readonly string[] | undefined;
  /** Select every descendant of these classes (names or MIDs) in the hierarchy. */
  under?: string | readonly string[] | undefined;
  /** Needed for `under`. */
  hierarchy?: ClassHierarchy | undefined;
  /** Passed to `hierarchy.descendants` (default: subcategories only, the class itself excluded). */
  descendants?: DescendantOptions | undefined;
}

/** Split a user's class list: CSV rules (quotes protect commas), blanks trimmed, empty entries dropped. */
export function splitClassList(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  if (typeof value !== 'string' && !(Array.isArray(value) && value.every((v) => typeof v === 'string'))) {
    throw new OidLabelsError('BAD_OPTIONS', `a class list must be a string or an array of strings (got ${JSON.stringify(value)})`);
  }
  const parts = typeof value === 'string' ? [value] : value;
  const out: string[] = [];
  for (const part of parts) {
    if (part.includes('"') || part.includes(',')) {
      let rows: string[][];
      try {
        rows = parse(part, { relax_quotes: true, trim: true, relax_column_count: true });
      } catch {
        rows = [part.split(',')];
      }
      for (const row of rows) for (const f of row) if (f.trim() !== '') out.push(f.trim());
    } else if (part.trim() !== '') out.push(part.trim());
  }
  return out;
}

/**
 * Resolve one display name (or MID) to a class: exact name first, then case-insensitive. Several MIDs for the name →
 * `AMBIGUOUS_CLASS` listing them; no match → `UNKNOWN_CLASS` with the closest names.
 */
export function resolveClass(catalog: ClassCatalog, name: string): ClassDescription {
  if (typeof name !== 'string') throw new OidLabelsError('BAD_OPTIONS', `a class name must be a string (got ${JSON.stringify(name)})`);
  const byMid = catalog.byLabelName(name);
  if (byMid) return byMid;
  for (const found of [catalog.exact(name), catalog.folded(name)]) {
    if (found.length === 1) return found[0];
    if (found.length > 1) {
      const list = found.map((c) => `${c.LabelName} (${c.DisplayName})`).join(', ');
      throw new OidLabelsError('AMBIGUOUS_CLASS', `class name "${name}" matches ${found.length} classes: ${list}; pass the MID instead`, {
        name,
        candidates: found.map((c) => ({ ...c })),
      });
    }
  }
  const suggestions = closestNames(name, catalog.names());
  const hint = suggestions.length ? `; did you mean ${suggestions.map((s) => `"${s}"`).join(', ')}?` : '';
  throw new OidLabelsError('UNKNOWN_CLASS', `no class named "${name}"${hint}`, { name, suggestions });
}

/**
 * Select classes by name and/or by hierarchy (`under`), deduplicated, in the order given (names, then each `under`
 * subtree in depth-first order). Neither given → the six big cats (by MID, so the v4 names work too).
 */
export function selectClasses(catalog: ClassCatalog, options: ClassSelectionOptions = {}): ClassDescription[] {
  const names = splitClassList(options.classes);
  const under = splitClassList(options.under);
  const seen = new Set<string>();
  const out: ClassDescription[] = [];
  const add = (c: ClassDescription): void => {
    if (seen.has(c.LabelName)) return;
    seen.add(c.LabelName);
    out.push({ LabelName: c.LabelName, DisplayName: c.DisplayName });
  };
  if (names.length === 0 && under.length === 0) {
    for (const cat of BIG_CATS) add(catalog.byLabelName(cat.LabelName) ?? cat);
    return out;
  }
  for (const name of names) add(resolveClass(catalog, name));
  if (under.length > 0) {
    const h = options.hierarchy;
    if (!h) throw new OidLabelsError('MISSING_HIERARCHY', 'selecting classes "under" another needs the class hierarchy (bbox_labels_600_hierarchy.json)');
    for (const name of under) {
      const parent = resolveClass(catalog, name);
      if (!h.has(parent.LabelName)) {
        throw new OidLabelsError('NOT_IN_HIERARCHY', `"${parent.DisplayName}" (${parent.LabelName}) is not in the class hierarchy`);
      }
      for (const mid of h.descendants(parent.LabelName, options.descendants)) {
        add(catalog.byLabelName(mid) ?? { LabelName: mid, DisplayName: mid });
      }
    }
  }
  if (out.length === 0) throw new OidLabelsError('EMPTY_SELECTION', `no classes under ${under.join(', ')}`);
  return out;
}
