import { link, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { unlinkSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ParquetIoError } from './errors.js';

/** Who holds an output lock: written into the lock file as one JSON object. */
export interface LockHolder {
  pid: number;
  host: string;
  /** ISO time the lock was taken. */
  started: string;
  /** What the holder is doing (e.g. `download`, `run`, `merge`), for the message a second process gets. */
  command: string;
}

export interface OutputLock {
  readonly file: string;
  readonly holder: LockHolder;
  /** The dead holder whose lock was taken over, if any. */
  readonly tookOver: LockHolder | undefined;
  /** Removes the lock file if it is still ours. Also done at process exit. */
  release(): Promise<void>;
}

export interface LockOptions {
  /** Shown to a second process that finds the lock (default `oidstream`). */
  command?: string;
  /** Told when a dead holder's lock is taken over (default: one line on stderr). */
  onNote?: (message: string) => void;
}

/**
 * Where the lock of an output lives: `<dir>/.oidstream.lock` for an output directory (run, merge), `<file>.lock` for
 * an output file (download).
 */
export function outputLockPath(target: string, kind: 'dir' | 'file'): string {
  return kind === 'dir' ? path.join(target, '.oidstream.lock') : `${target}.lock`;
}

/** True when `pid` is a live process on this host. */
export function isProcessAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Remove the temp files a killed process left in `dir`: names `<prefix>….tmp-<pid>-<hex>` (this project's temp names)
 * whose pid is not alive on this host. Returns how many went. A missing folder has none.
 */
export async function removeStaleTemps(dir: string, prefix = ''): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  let removed = 0;
  for (const name of names) {
    const m = /\.tmp-(\d+)-[0-9a-f]+$/.exec(name);
    if (name.startsWith(prefix) && m && !isProcessAlive(Number(m[1]))) {
      await rm(path.join(dir, name), { force: true });
      removed++;
    }
  }
  return removed;
}

function describe(h: LockHolder): string {
  return `${h.command} (pid ${h.pid} on ${h.host}, since ${h.started})`;
}

async function readHolder(file: string): Promise<LockHolder | undefined> {
  try {
    const h = JSON.parse(await readFile(file, 'utf8')) as LockHolder;
    return typeof h?.pid === 'number' && typeof h.host === 'string' ? h : undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Creates `file` with `content` only if it does not exist: written whole under a temp name, then hard-linked. */
async function createExclusive(file: string, content: string): Promise<boolean> {
  const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(16).slice(2)}`;
  await writeFile(tmp, content);
  try {
    await link(tmp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await rm(tmp, { force: true });
  }
}

/** Moves a dead holder's lock aside, unless someone replaced it meanwhile (then it is put back). */
async function removeStale(file: string, stale: LockHolder): Promise<boolean> {
  const aside = `${file}.stale-${process.pid}`;
  try {
    await rename(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw err;
  }
  const moved = await readHolder(aside);
  if (moved && (moved.pid !== stale.pid || moved.started !== stale.started || moved.host !== stale.host)) {
    await link(aside, file).catch(() => undefined); // a live holder's fresh lock: put it back
    await rm(aside, { force: true });
    return false;
  }
  await rm(aside, { force: true });
  return true;
}

/**
 * Takes the lock file `file` for one writer of an output (a file or a run directory), or throws LOCKED naming the
 * holder. A lock left by a process that is gone (kill -9, power loss) on this host is taken over with a note; a lock
 * from another host is never judged stale (its pid means nothing here): remove it by hand.
 */
export async function acquireOutputLock(file: string, options: LockOptions = {}): Promise<OutputLock> {
  const holder: LockHolder = { pid: process.pid, host: os.hostname(), started: new Date().toISOString(), command: options.command ?? 'oidstream' };
  const content = JSON.stringify(holder) + '\n';
  await mkdir(path.dirname(file), { recursive: true });
  let tookOver: LockHolder | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await createExclusive(file, content)) return makeLock(file, holder, tookOver);
    const other = await readHolder(file);
    if (!other) continue; // released (or unreadable and gone) meanwhile: try again
    if (other.host !== holder.host || isProcessAlive(other.pid)) {
      throw new ParquetIoError('LOCKED', `${path.dirname(file)} is in use by ${describe(other)}; wait for it to finish, or delete ${file} if that process is gone`);
    }
    if (await removeStale(file, other)) {
      tookOver = other;
      (options.onNote ?? ((m: string) => void process.stderr.write(m + '\n')))(
        `note: taking over the lock ${file} of ${describe(other)}: that process is gone`,
      );
    }
  }
  throw new ParquetIoError('LOCKED', `could not take the lock ${file}: other processes keep taking it`);
}

function makeLock(file: string, holder: LockHolder, tookOver: LockHolder | undefined): OutputLock {
  const ours = (text: string): boolean => {
    try {
      const h = JSON.parse(text) as LockHolder;
      return h.pid === holder.pid && h.started === holder.started && h.host === holder.host;
    } catch {
      return false;
    }
  };
  // On a normal exit (also process.exit after an error) the lock goes with the process.
  const onExit = () => {
    try {
      if (ours(readFileSync(file, 'utf8'))) unlinkSync(file);
    } catch {
      // already gone
    }
  };
  process.once('exit', onExit);
  let released = false;
  return {
    file,
    holder,
    tookOver,
    async release() {
      if (released) return;
      released = true;
      process.removeListener('exit', onExit);
      onExit();
    },
  };
}
