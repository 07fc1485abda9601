import { closeSync, fsyncSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { ByteWriter } from 'hyparquet-writer';

/**
 * hyparquet-writer `Writer` that appends to a file. The writer calls `flush()` after every row group, so at most
 * one row group's encoded bytes are held in memory. `resumeAt` reopens a file written before and truncates it to
 * the last checkpoint, so writing goes on where a crash left it.
 */
export class FileSink extends ByteWriter {
  readonly fd: number;
  /** Bytes already on disk. */
  written = 0;

  constructor(path: string, resumeAt?: number) {
    super(1 << 16);
    if (resumeAt === undefined) {
      this.fd = openSync(path, 'wx');
    } else {
      this.fd = openSync(path, 'r+');
      ftruncateSync(this.fd, resumeAt);
      this.written = resumeAt;
    }
  }

  /** Drop what the writer put in the buffer (the PAR1 header a resumed writer writes again) and say where the file is. */
  rewind(): void {
    this.index = 0;
    this.offset = this.written;
  }

  override ensure(size: number): void {
    // Spill big buffers early so one row group of large images does not double the buffer repeatedly.
    if (this.index > 8 << 20) this.flush();
    super.ensure(size);
  }

  flush(): void {
    let pos = 0;
    const bytes = new Uint8Array(this.buffer, 0, this.index);
    while (pos < bytes.length) pos += writeSync(this.fd, bytes, pos, bytes.length - pos, this.written + pos);
    this.written += bytes.length;
    this.index = 0;
  }

  /** Everything so far on disk and synced: a checkpoint may now name `written`. */
  sync(): void {
    this.flush();
    fsyncSync(this.fd);
  }

  override finish(): void {
    this.sync();
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
