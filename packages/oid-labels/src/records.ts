import { OidLabelsError } from './errors.js';

/** A row that could not be typed: where it is and why. The scan that met it goes on. */
export interface BadRow {
  file: string;
  /** 1-based physical line number in the file (the header is line 1). */
  line: number;
  message: string;
}

/** Where each wanted column sits in a file's header; -1 for an optional column the file lacks. */
export type ColumnIndex<K extends string> = Record<K, number>;

/**
 * Map a header to column positions: required columns must exist (`MISSING_COLUMN` otherwise), optional ones may be
 * absent (-1). Extra columns (e.g. v6 train's XClick*) are ignored.
 */
export function indexColumns<R extends string, O extends string = never>(
  header: readonly string[],
  required: readonly R[],
  optional: readonly O[] = [],
  file = 'CSV',
): ColumnIndex<R | O> {
  const out = {} as ColumnIndex<R | O>;
  const trimmed = header.map((h) => h.trim());
  for (const name of required) {
    const i = trimmed.indexOf(name);
    if (i < 0) throw new OidLabelsError('MISSING_COLUMN', `${file}: header has no ${name} column (header: ${header.join(',')})`);
    out[name] = i;
  }
  for (const name of optional) out[name] = trimmed.indexOf(name);
  return out;
}

/** Strict number: rejects '', blanks and other text that `Number()` would turn into 0 or NaN. */
export function parseNumber(text: string | undefined): number {
  if (text === undefined || text === '') return NaN;
  const c = text.charCodeAt(0);
  // digits, '-', '+', '.'
  if (!((c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46)) return NaN;
  return Number(text);
}

/** An OID image-level label (`*-annotations-*-imagelabels*.csv`). Human labels are 0 or 1, machine ones fractional. */
export interface ImageLabel {
  ImageID: string;
  Source: string;
  LabelName: string;
  Confidence: number;
}

export const IMAGE_LABEL_COLUMNS = ['ImageID', 'Source', 'LabelName', 'Confidence'] as const;
export type ImageLabelColumn = (typeof IMAGE_LABEL_COLUMNS)[number];

export function imageLabelColumns(header: readonly string[], file?: string): ColumnIndex<ImageLabelColumn> {
  return indexColumns(header, ['ImageID', 'LabelName', 'Confidence'] as const, ['Source'] as const, file);
}

/** Type one image-label row; a string return value is the reason the row is bad. */
export function toImageLabel(fields: readonly string[], cols: ColumnIndex<ImageLabelColumn>): ImageLabel | string {
  const ImageID = fields[cols.ImageID];
  const LabelName = fields[cols.LabelName];
  if (!ImageID) return 'empty ImageID';
  if (!LabelName) return 'empty LabelName';
  const Confidence = parseNumber(fields[cols.Confidence]);
  if (!(Confidence >= 0 && Confidence <= 1)) return `Confidence ${JSON.stringify(fields[cols.Confidence] ?? null)} is not a number in [0, 1]`;
  return { ImageID, Source: cols.Source >= 0 ? (fields[cols.Source] ?? '') : '', LabelName, Confidence };
}

/** An OID box (`*-annotations-bbox.csv`): normalised coordinates, flags 1/0 and -1 for unknown. */
export interface BoxRecord {
  ImageID: string;
  Source: string;
  LabelName: string;
  Confidence: number;
  XMin: number;
  XMax: number;
  YMin: number;
  YMax: number;
  IsOccluded: number;
  IsTruncated: number;
  IsGroupOf: number;
  IsDepiction: number;
  IsInside: number;
}

export const BOX_COLUMNS = [
  'ImageID', 'Source', 'LabelName', 'Confidence', 'XMin', 'XMax', 'YMin', 'YMax',
  'IsOccluded', 'IsTruncated', 'IsGroupOf', 'IsDepiction', 'IsInside',
] as const;
export type BoxColumn = (typeof BOX_COLUMNS)[number];
const BOX_REQUIRED = ['ImageID', 'LabelName', 'XMin', 'XMax', 'YMin', 'YMax'] as const;
const BOX_OPTIONAL = ['Source', 'Confidence', 'IsOccluded', 'IsTruncated', 'IsGroupOf', 'IsDepiction', 'IsInside'] as const;
const FLAGS = ['IsOccluded', 'IsTruncated', 'IsGroupOf', 'IsDepiction', 'IsInside'] as const;

export function boxColumns(header: readonly string[], file?: string): ColumnIndex<BoxColumn> {
  return indexColumns(header, BOX_REQUIRED, BOX_OPTIONAL, file);
}

/**
 * Type one box row; a string return value is the reason the row is bad. Absent/empty flag columns are -1 (unknown),
 * an absent Confidence is 1 (OID box confidence is always 1).
 */
export function toBoxRecord(fields: readonly string[], cols: ColumnIndex<BoxColumn>): BoxRecord | string {
  const ImageID = fields[cols.ImageID];
  const LabelName = fields[cols.LabelName];
  if (!ImageID) return 'empty ImageID';
  if (!LabelName) return 'empty LabelName';
  const XMin = parseNumber(fields[cols.XMin]);
  const XMax = parseNumber(fields[cols.XMax]);
  const YMin = parseNumber(fields[cols.YMin]);
  const YMax = parseNumber(fields[cols.YMax]);
  if (!Number.isFinite(XMin) || !Number.isFinite(XMax) || !Number.isFinite(YMin) || !Number.isFinite(YMax)) {
    return `box coordinates ${[cols.XMin, cols.XMax, cols.YMin, cols.YMax].map((i) => JSON.stringify(fields[i] ?? null)).join(',')} are not all numbers`;
  }
  let Confidence = 1;
  if (cols.Confidence >= 0) {
    Confidence = parseNumber(fields[cols.Confidence]);
    if (!Number.isFinite(Confidence)) return `Confidence ${JSON.stringify(fields[cols.Confidence] ?? null)} is not a number`;
  }
  const box: BoxRecord = {
    ImageID, Source: cols.Source >= 0 ? (fields[cols.Source] ?? '') : '', LabelName, Confidence, XMin, XMax, YMin, YMax,
    IsOccluded: -1, IsTruncated: -1, IsGroupOf: -1, IsDepiction: -1, IsInside: -1,
  };
  for (const flag of FLAGS) {
    const i = cols[flag];
    const text = i >= 0 ? fields[i] : undefined;
    if (text === undefined || text === '') continue;
    const v = parseNumber(text);
    if (!Number.isInteger(v) || v < -1 || v > 1) return `${flag} ${JSON.stringify(text)} is not -1, 0 or 1`;
    box[flag] = v;
  }
  return box;
}
