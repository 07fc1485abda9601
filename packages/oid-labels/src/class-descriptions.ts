import { parse } from 'csv-parse/sync';
import { OidLabelsError } from './errors.js';

/** One OID class: machine id (MID, e.g. `/m/07dm6`) and display name (e.g. `Tiger`). */
export interface ClassDescription {
  LabelName: string;
  DisplayName: string;
}

/** Which real file layout a class-description file looked like (informational). */
export type ClassFileVariant = 'boxable-v5' | 'boxable-v4' | 'all-classes' | 'other';

/**
 * The classes of one class-description file, indexed for lookups by MID, exact name and case-folded name.
 * Built by `parseClassDescriptions`; immutable.
 */
export class ClassCatalog {
  readonly classes: readonly ClassDescription[];
  readonly hadHeader: boolean;
  readonly variant: ClassFileVariant;
  private readonly byMid = new Map<string, ClassDescription>();
  private readonly byName = new Map<string, ClassDescription[]>();
  private readonly byFolded = new Map<string, ClassDescription[]>();

  constructor(classes: readonly ClassDescription[], hadHeader = false) {
    this.classes = classes;
    this.hadHeader = hadHeader;
    for (const c of classes) {
      if (!this.byMid.has(c.LabelName)) this.byMid.set(c.LabelName, c);
      push(this.byName, c.DisplayName, c);
      push(this.byFolded, foldName(c.DisplayName), c);
    }
    this.variant = detectVariant(this);
  }

  get size(): number {
    return this.byMid.size;
  }

  /** The class with this MID, if any. */
  byLabelName(mid: string): ClassDescription | undefined {
    return this.byMid.get(mid);
  }

  /** Display name of a MID, or undefined. */
  displayName(mid: string): string | undefined {
    return this.byMid.get(mid)?.DisplayName;
  }

  /** Classes whose display name equals `name` exactly. */
  exact(name: string): readonly ClassDescription[] {
    return this.byName.get(name) ?? [];
  }

  /** Classes whose display name equals `name` ignoring case and surrounding/duplicate blanks. */
  folded(name: string): readonly ClassDescription[] {
    return this.byFolded.get(foldName(name)) ?? [];
  }

  /** Distinct display names (for suggestions). */
  names(): IterableIterator<string> {
    return this.byName.keys();
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

export function foldName(name: string): string {
  return name.trim().replace(/\s+/g, ' ').toLowerCase();
}

function detectVariant(catalog: ClassCatalog): ClassFileVariant {
  if (catalog.size > 1000) return 'all-classes';
  const jaguar = catalog.displayName('/m/0449p');
  if (jaguar === 'Jaguar (Animal)') return 'boxable-v5';
  if (jaguar === 'Jaguar') return 'boxable-v4';
  return 'other';
}

const MID = /^\/[a-z]\//;

/**
 * Parse a class-description file in any real OID variant: v5/v6 boxable (no header, CRLF), v4 boxable (LF), the
 * ~20k `oidv6-class-descriptions.csv` with or without a `LabelName,DisplayName` header. Display names may contain
 * commas and quotes, so this goes through csv-parse. A first row whose first field is not a MID is taken as header.
 */
export function parseClassDescriptions(input: string | Uint8Array, options: { source?: string } = {}): ClassCatalog {
  const source = options.source ?? 'class descriptions';
  let rows: { record: string[]; info: { lines: number } }[];
  try {
    rows = parse(typeof input === 'string' ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength), {
      bom: true,
      // v5/v6 end every row with CRLF but the last with LF: auto-detection would glue that LF into the last name.
      record_delimiter: ['\r\n', '\n'],
      relax_column_count: true,
      skip_empty_lines: true,
      info: true,
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (err) {
    throw new OidLabelsError('BAD_CLASS_FILE', `${source}: not valid CSV (${(err as Error).message})`, undefined, { cause: err });
  }
  let hadHeader = false;
  const classes: ClassDescription[] = [];
  for (let i = 0; i < rows.length; i++) {
    const { record, info } = rows[i];
    if (i === 0 && !MID.test(record[0] ?? '')) {
      hadHeader = true;
      continue;
    }
    if (record.length < 2 || record[0] === '') {
      throw new OidLabelsError('BAD_CLASS_FILE', `${source}:${info.lines}: expected "LabelName,DisplayName", got ${JSON.stringify(record.join(','))}`);
    }
    // A display name with an unquoted comma would split into more fields: keep it whole.
    const DisplayName = record.length === 2 ? record[1] : record.slice(1).join(',');
    classes.push({ LabelName: record[0], DisplayName });
  }
  if (classes.length === 0) throw new OidLabelsError('BAD_CLASS_FILE', `${source}: no classes`);
  return new ClassCatalog(classes, hadHeader);
}
