import type { ColumnSpec } from '@oidstream/parquet-io';

/** The predictions file a classify stage writes. */
export const PREDICTIONS_FILE = 'predictions.parquet';
/** Columns carried over from chips.parquet. */
export const PREDICTION_KEY_COLUMNS = ['chip_id', 'ImageID', 'LabelName', 'DisplayName'] as const;
/** Set (as `<CODE>: <reason>`) on a record whose image could not be classified; its model columns are then null. */
export const CLASSIFY_ERROR_COLUMN = 'classify_error';

/** The columns one model adds: `<name>_label`, `_wnid`, `_score`, `_top5` (null on error rows). */
export function modelColumnSpecs(name: string): ColumnSpec[] {
  return [
    { name: `${name}_label`, type: 'STRING', nullable: true },
    { name: `${name}_wnid`, type: 'STRING', nullable: true },
    { name: `${name}_score`, type: 'DOUBLE', nullable: true },
    { name: `${name}_top5`, type: 'STRING', nullable: true },
  ];
}

/** predictions.parquet schema: the key columns, each model's columns, then `classify_error`. */
export function predictionColumnSpecs(modelNames: readonly string[]): ColumnSpec[] {
  return [
    ...PREDICTION_KEY_COLUMNS.map((name): ColumnSpec => ({ name, type: 'STRING', nullable: true })),
    ...modelNames.flatMap(modelColumnSpecs),
    { name: CLASSIFY_ERROR_COLUMN, type: 'STRING', nullable: true },
  ];
}
