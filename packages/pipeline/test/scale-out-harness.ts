import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readParquetRows } from '@oidstream/parquet-io';

export const PKG = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BIN = path.join(PKG, 'bin', 'oidstream.js');
/** Workers fork the compiled processor, so these tests need the package built (CI builds on npm ci). */
export const BUILT = existsSync(path.join(PKG, '..', 'scale-out', 'dist', 'shard-processor.js')) && existsSync(path.join(PKG, 'dist', 'commands', 'worker.js'));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A worker process (its own process group, so kill -9 takes its sandbox children too), with its JSON events. */
export class WorkerProc {
  readonly child: ChildProcess;
  readonly events: Array<Record<string, any>> = [];
  stderr = '';
  readonly exited: Promise<number | null>;
  private waiters: Array<() => void> = [];

  constructor(args: string[]) {
    this.child = spawn(process.execPath, [BIN, 'worker', '--json', ...args], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    this.child.stdout!.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        try {
          this.events.push(JSON.parse(line));
        } catch {
          this.stderr += line + '\n';
        }
        for (const w of this.waiters.splice(0)) w();
      }
    });
    this.child.stderr!.on('data', (d) => (this.stderr += d));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  /** Resolves with the first event matching `pred` (already seen or future). */
  async waitFor(pred: (e: Record<string, any>) => boolean, ms = 60_000): Promise<Record<string, any>> {
    const until = Date.now() + ms;
    for (;;) {
      const hit = this.events.find(pred);
      if (hit) return hit;
      if (Date.now() > until) throw new Error(`worker event not seen in ${ms} ms; events: ${JSON.stringify(this.events)}; stderr: ${this.stderr}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 100);
      });
    }
  }

  kill9(): void {
    try {
      process.kill(-this.child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

export async function readAll(file: string): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for await (const r of readParquetRows(file)) rows.push(r);
  return rows;
}

/** Rows keyed and sorted by chip_id, binary columns as hex, for comparing two runs row by row. */
export function byChipId(rows: Record<string, unknown>[], drop: string[] = []): Array<Record<string, unknown>> {
  return rows
    .map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !drop.includes(k)).map(([k, v]) => [k, v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v])))
    .sort((a, b) => String(a.chip_id).localeCompare(String(b.chip_id)));
}
