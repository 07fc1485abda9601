import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const pkg = path.resolve(import.meta.dirname, '..');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** `oidstream …` from sources in a child process. `killWhen(line)` → SIGKILL as soon as a stdout line matches. */
export function runCli(args: string[], options: { killWhen?: (line: string) => boolean; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', '--conditions=@oidstream/source', path.join(pkg, 'test/cli-entry.ts'), ...args], {
      cwd: pkg,
      env: { ...process.env, OIDSTREAM_OFFLINE: '1', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let pending = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 300_000);
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d;
      pending += d;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      if (options.killWhen && lines.some(options.killWhen)) child.kill('SIGKILL');
    });
    child.stderr!.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Parsed `{"progress": …}` line, or undefined. */
export function progressOf(line: string): { type: string; stage: string; done: number } | undefined {
  try {
    return (JSON.parse(line) as { progress?: { type: string; stage: string; done: number } }).progress;
  } catch {
    return undefined;
  }
}
