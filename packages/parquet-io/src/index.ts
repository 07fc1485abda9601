export { ParquetIoError } from './errors.js';
export type { ParquetIoErrorCode } from './errors.js';
export type { ColumnSpec, ColumnType } from './column-spec.js';
export type { WriteOptions, ReadOptions } from './options.js';
export { WRITE_DEFAULTS } from './options.js';
export { ParquetFileWriter } from './parquet-file-writer.js';
export type { WriterCheckpoint } from './writer-checkpoint.js';
export { writeParquet } from './write-parquet.js';
export { readParquetRows, parquetInfo, parquetColumns } from './read-rows.js';
export type { ParquetRow } from './read-rows.js';
export { openParquet } from './parquet-source.js';
export type { ParquetSource } from './parquet-source.js';
export { readParquetRowsByKey, KeyedRead } from './read-by-key.js';
export type { KeyedReadOptions, KeyedReadStats } from './read-by-key.js';
export {
  columnToVector,
  rowsToRecordBatch,
  recordBatchToRows,
  columnsOfRecordBatch,
  columnTypeOfArrow,
  writeParquetBatches,
  readParquetBatches,
} from './arrow.js';
export { packImages, IMAGE_COLUMNS } from './pack.js';
export type { PackOptions, PackResult, PackSkip } from './pack.js';
export { readRotationCsv, readRotationCsvs } from './rotation-csv.js';
export type { RotationInfo } from './rotation-csv.js';
export { sniffImageFormat, isValidImageId } from './image-bytes.js';
export type { ImageFormat } from './image-bytes.js';
export { parquetReadStream, parquetKeyedReadStream, parquetWriteStream } from './streams.js';
export { acquireOutputLock, isProcessAlive, outputLockPath } from './output-lock.js';
export type { OutputLock, LockHolder, LockOptions } from './output-lock.js';
