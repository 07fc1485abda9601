import { createHash } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * A cheap fingerprint of a stage's input files: path, size and mtime of each file (folders: of every file in them,
 * two levels deep). Hashing the bytes of a 500 MB annotation file on every rerun would cost more than the stage.
 */
export async function fingerprintInputs(paths: readonly string[]): Promise<string> {
  const lines: string[] = [];
  const visit = async (p: string, depth: number): Promise<void> => {
    const s = await stat(p).catch(() => undefined);
    if (!s) return void lines.push(`${p} missing`);
    if (!s.isDirectory()) return void lines.push(`${p} ${s.size} ${Math.round(s.mtimeMs)}`);
    if (depth > 1) return;
    for (const name of (await readdir(p)).sort()) await visit(path.join(p, name), depth + 1);
  };
  for (const p of [...paths].map((x) => path.resolve(x)).sort()) await visit(p, 0);
  return createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 16);
}
