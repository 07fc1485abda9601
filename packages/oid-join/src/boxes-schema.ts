import type { BoxRecord } from '@oidstream/oid-labels';
import type { ColumnSpec } from '@oidstream/parquet-io';

/** A selected box: every OID box column plus the class display name (one row of boxes.parquet). */
export interface SelectedBox extends BoxRecord {
  DisplayName: string;
}

/** The columns of boxes.parquet, in file order: pass to `writeParquet` with the records of `selectBoxes`. */
export const BOX_COLUMNS: readonly ColumnSpec[] = [
  { name: 'ImageID', type: 'STRING' },
  { name: 'Source', type: 'STRING' },
  { name: 'LabelName', type: 'STRING' },
  { name: 'Confidence', type: 'DOUBLE' },
  { name: 'XMin', type: 'DOUBLE' },
  { name: 'XMax', type: 'DOUBLE' },
  { name: 'YMin', type: 'DOUBLE' },
  { name: 'YMax', type: 'DOUBLE' },
  { name: 'IsOccluded', type: 'INT32' },
  { name: 'IsTruncated', type: 'INT32' },
  { name: 'IsGroupOf', type: 'INT32' },
  { name: 'IsDepiction', type: 'INT32' },
  { name: 'IsInside', type: 'INT32' },
  { name: 'DisplayName', type: 'STRING' },
];
