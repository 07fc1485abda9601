import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { ByteWriter } from 'hyparquet-writer';

/**
 * hyparquet-writer `Writer` that appends to an open file descriptor. The writer calls `flush()` after
 * every row group, so at most one row group's encoded bytes are held in memory.
 */
export class FileSink extends ByteWriter {
  readonly fd: number;
  /** Bytes already on disk. */
  written = 0;

  constructor(path: string) {
    super(1 << 16);
    this.fd = openSync(path, 'wx');
  }

  override ensure(size: number): void {
    // Spill big buffers early so one row group of large images does not double the buffer repeatedly.
    if (this.index > 8 << 20) this.flush();
    super.ensure(size);
  }

  flush(): void {
    let pos = 0;
    const bytes = new Uint8Array(this.buffer, 0, this.index);
    while (pos < bytes.length) pos += writeSync(this.fd, bytes, pos, bytes.length - pos);
    this.written += bytes.length;
    this.index = 0;
  }

  override finish(): void {
    this.flush();
    fsyncSync(this.fd);
    closeSync(this.fd);
  }

  close(): void {
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
  }
}
