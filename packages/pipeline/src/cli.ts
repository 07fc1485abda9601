import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { registerClasses } from './commands/classes.js';
import { registerSelect } from './commands/select.js';
import { registerPack } from './commands/pack.js';
import { registerChips } from './commands/chips.js';
import { registerClassify } from './commands/classify.js';
import { registerReport } from './commands/report.js';
import { registerRun } from './commands/run.js';
import { registerBench } from './commands/bench.js';
import { registerWorker } from './commands/worker.js';
import { registerStatus } from './commands/status.js';
import { registerMerge } from './commands/merge.js';
import { registerEnqueue } from './commands/enqueue.js';
import { registerDownload } from './commands/download.js';

/** Each command lives in its own file under commands/ and registers itself here. */
const COMMANDS = [registerClasses, registerSelect, registerPack, registerChips, registerClassify, registerReport, registerRun, registerBench, registerDownload, registerEnqueue, registerWorker, registerStatus, registerMerge];

/** This package's version (src/ and dist/ both sit one level below package.json). */
function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

export function buildProgram(): Command {
  const program = new Command('oidstream')
    .description('Turn Google Open Images (OID) metadata, labels, boxes and images into classified image chips.')
    .version(packageVersion(), '-V, --version', 'print the oidstream version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const register of COMMANDS) register(program);
  return program;
}

/**
 * Errors a user can fix carry a string `code` (typed errors of every @oidstream package): they print as one line.
 * Anything else is a bug and keeps its stack.
 */
export function describeError(err: unknown): { line: string; userError: boolean } {
  const code = err instanceof Error && !(err instanceof CommanderError) ? (err as Error & { code?: unknown }).code : undefined;
  if (err instanceof Error && typeof code === 'string') return { line: `oidstream: ${err.message} [${code}]`, userError: true };
  return { line: err instanceof Error ? (err.stack ?? err.message) : String(err), userError: false };
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode; // commander already printed help or the reason
    const { line, userError } = describeError(err);
    process.stderr.write(line + '\n');
    return userError ? 2 : 1;
  }
}
