import type { CompressionCodec } from 'hyparquet';

/** Writer options; defaults live in WRITE_DEFAULTS. */
export interface WriteOptions {
  /** Max rows per row group (default 100,000). */
  rowGroupRows?: number;
  /** Max estimated bytes per row group (default 32 MiB): keeps image files readable a group at a time. */
  rowGroupBytes?: number;
  /** Target page size in bytes (default 16 KiB): small pages let key-selective reads fetch little more than the matching rows. */
  pageSize?: number;
  /** Codec for non-binary columns (default SNAPPY). */
  codec?: 'SNAPPY' | 'UNCOMPRESSED';
  /** Codec for BYTE_ARRAY columns (default UNCOMPRESSED: JPEG/PNG bytes do not compress). */
  binaryCodec?: 'SNAPPY' | 'UNCOMPRESSED';
  /** Extra key/value metadata stored in the footer. */
  metadata?: Record<string, string>;
}

export const WRITE_DEFAULTS = {
  rowGroupRows: 100_000,
  rowGroupBytes: 32 * 1024 * 1024,
  pageSize: 16 * 1024,
  codec: 'SNAPPY' as CompressionCodec,
  binaryCodec: 'UNCOMPRESSED' as CompressionCodec,
};

/** Reader options shared by the row readers. */
export interface ReadOptions {
  /** Columns to read (default: all). */
  columns?: string[];
  /** First row (inclusive, default 0). */
  rowStart?: number;
  /** Last row (exclusive, default: end of file). */
  rowEnd?: number;
}
