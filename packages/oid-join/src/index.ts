export { OidJoinError } from './errors.js';
export type { OidJoinErrorCode } from './errors.js';
export { ByteKeySet } from './byte-key-set.js';
export { LinePrefilter } from './line-prefilter.js';
export type { PrefilterColumn, KeptBatch } from './line-prefilter.js';
export {
  CsvHeader, scanCsv, scanCsvBatches, scanCsvFiles, scanCsvFilesBatches, csvScanStream, emptyScanStats, SCAN_DEFAULTS,
} from './scan-csv.js';
export type { CsvRow, ScanOptions, ScanStats } from './scan-csv.js';
export { applyOperator, operatorTransform, keyFunction } from './operator.js';
export type { Operator, KeySpec, Source } from './operator.js';
export { semiJoin, semiJoinOperator, semiJoinTransform } from './semi-join.js';
export type { SemiJoinOptions } from './semi-join.js';
export { hashJoin, hashJoinOperator, hashJoinTransform, buildIndex } from './hash-join.js';
export type { HashJoinOptions, BuildIndex } from './hash-join.js';
export { distinct, distinctOperator, distinctTransform } from './distinct.js';
export type { DistinctOptions } from './distinct.js';
export { groupBy, groupByImage, groupByOperator, groupByTransform } from './group-by.js';
export type { Group, GroupByOptions } from './group-by.js';
export { union, unionStream } from './union.js';
