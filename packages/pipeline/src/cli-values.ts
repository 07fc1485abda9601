import { PRECISIONS, type Precision } from '@oidstream/keras-models/options';
import { PipelineError } from './errors.js';

/** Flag value parsers that fail with coded one-line errors (commander's own messages are not coded). */
export function positiveInt(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new PipelineError('BAD_OPTION', `${flag} must be a positive integer, got ${JSON.stringify(v)}`);
  return n;
}

export function numberIn(flag: string, v: string | undefined, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw new PipelineError('BAD_OPTION', `${flag} must be a number from ${min} to ${max}, got ${JSON.stringify(v)}`);
  }
  return n;
}

/** A whole number ≥ min, written as plain digits (no sign, exponent or decimal point). */
export function integerAtLeast(flag: string, v: string, min: number): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || n < min) throw new PipelineError('BAD_OPTION', `${flag} must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
  return n;
}

export const collect = (v: string, acc: string[] = []): string[] => [...acc, v];

/** `--precision fp32|int8` (default fp32). */
export function parsePrecision(v: string | undefined): Precision {
  if (v === undefined) return 'fp32';
  if (PRECISIONS.includes(v as Precision)) return v as Precision;
  throw new PipelineError('BAD_OPTION', `--precision ${JSON.stringify(v)}: use ${PRECISIONS.join(' or ')}`);
}
