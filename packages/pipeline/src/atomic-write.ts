import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';

/** Write a whole file under a temp name, fsync, then rename: a kill at any point leaves the old file or the new one. */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  await writeAtomic(file, (fh) => fh.writeFile(data));
}

/** As writeFileAtomic, for content written piece by piece through the open temp file. */
export async function writeAtomic(file: string, write: (fh: FileHandle) => Promise<void>): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
  const fh = await open(tmp, 'w');
  try {
    await write(fh);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  await rename(tmp, file);
}
