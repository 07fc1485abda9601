import { describe, expect, it } from 'vitest';
import { CLASSIFY_ERROR_COLUMN, predictionColumnSpecs, PREDICTION_KEY_COLUMNS, PREDICTIONS_FILE } from './predictions-schema.js';

describe('predictions.parquet schema', () => {
  it('has the key columns, four columns per model and classify_error, all nullable', () => {
    const specs = predictionColumnSpecs(['mobilenet', 'resnet50']);
    expect(specs.map((c) => `${c.name}:${c.type}`)).toEqual([
      'chip_id:STRING',
      'ImageID:STRING',
      'LabelName:STRING',
      'DisplayName:STRING',
      'mobilenet_label:STRING',
      'mobilenet_wnid:STRING',
      'mobilenet_score:DOUBLE',
      'mobilenet_top5:STRING',
      'resnet50_label:STRING',
      'resnet50_wnid:STRING',
      'resnet50_score:DOUBLE',
      'resnet50_top5:STRING',
      'classify_error:STRING',
    ]);
    // error rows have null model columns
    expect(specs.every((c) => c.nullable === true)).toBe(true);
    expect(CLASSIFY_ERROR_COLUMN).toBe('classify_error');
    expect(PREDICTION_KEY_COLUMNS).toEqual(['chip_id', 'ImageID', 'LabelName', 'DisplayName']);
    expect(PREDICTIONS_FILE).toBe('predictions.parquet');
  });
});
