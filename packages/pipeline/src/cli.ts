import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
type Register = (program: Command) => void;

/**
 * Every command, with the one line `oidstream --help` lists. A command's module (and the packages it pulls in:
 * sharp, onnxruntime, bullmq, vega …) is loaded only when that command runs or shows its own help.
 */
const COMMANDS: Array<{ name: string; summary: string; load: () => Promise<Register> }> = [
  { name: 'classes', summary: 'resolve OID classes by name or hierarchy and print their MIDs', load: async () => (await import('./commands/classes.js')).registerClasses },
  { name: 'select', summary: 'labels → selected images → their boxes (boxes.parquet)', load: async () => (await import('./commands/select.js')).registerSelect },
  { name: 'pack', summary: 'a folder of <ImageID>.jpg → images.parquet', load: async () => (await import('./commands/pack.js')).registerPack },
  { name: 'chips', summary: 'one JPEG chip per box (chips.parquet, chips/)', load: async () => (await import('./commands/chips.js')).registerChips },
  { name: 'classify', summary: 'Keras ImageNet models over every chip (predictions.parquet)', load: async () => (await import('./commands/classify.js')).registerClassify },
  { name: 'report', summary: 'report.html and charts from a run directory', load: async () => (await import('./commands/report.js')).registerReport },
  { name: 'run', summary: 'every stage, resumable after a kill; --shard i/N for batch schedulers', load: async () => (await import('./commands/run.js')).registerRun },
  { name: 'bench', summary: 'stage throughput and peak RSS beside the best peers', load: async () => (await import('./commands/bench.js')).registerBench },
  { name: 'download', summary: 'fetch only the selected images into images.parquet', load: async () => (await import('./commands/download.js')).registerDownload },
  { name: 'enqueue', summary: 'plan a distributed run as shard jobs on a Redis (BullMQ) queue', load: async () => (await import('./commands/enqueue.js')).registerEnqueue },
  { name: 'worker', summary: 'process shard jobs from the queue', load: async () => (await import('./commands/worker.js')).registerWorker },
  { name: 'status', summary: 'progress of a sharded run', load: async () => (await import('./commands/status.js')).registerStatus },
  { name: 'merge', summary: 'merge a sharded run\'s parts into chips.parquet and predictions.parquet', load: async () => (await import('./commands/merge.js')).registerMerge },
];

/** The commands' names, in `oidstream --help` order (the bench times each one's `--help`). */
export const COMMAND_NAMES: readonly string[] = COMMANDS.map((c) => c.name);

/** This package's version (src/ and dist/ both sit one level below package.json). */
function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/**
 * The CLI for `argv`: the command it names is loaded and registered in full; the others are listed by name and
 * summary only. Without argv every command is loaded (tests, docs).
 */
export async function buildProgram(argv?: readonly string[]): Promise<Command> {
  const program = new Command('oidstream')
    .description('Turn Google Open Images (OID) metadata, labels, boxes and images into classified image chips.')
    .version(packageVersion(), '-V, --version', 'print the oidstream version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  const words = argv?.slice(2).filter((a) => !a.startsWith('-')) ?? [];
  const named = words[0] === 'help' ? words[1] : words[0];
  for (const c of COMMANDS) {
    if (!argv || c.name === named) (await c.load())(program);
    else program.command(c.name).summary(c.summary);
  }
  for (const c of COMMANDS) program.commands.find((x) => x.name() === c.name)?.summary(c.summary);
  return program;
}

/**
 * Errors a user can fix carry a string `code` (typed errors of every @oidstream package): they print as one line.
 * Anything else is a bug and keeps its stack.
 */
export function describeError(err: unknown): { line: string; userError: boolean } {
  const code = err instanceof Error && !(err instanceof CommanderError) ? (err as Error & { code?: unknown }).code : undefined;
  // one line, whatever a library put in the message (a bad input line is quoted, never echoed whole)
  const message = err instanceof Error ? err.message.replace(/\s*\n\s*/g, ' ') : '';
  if (err instanceof Error && typeof code === 'string') return { line: `oidstream: ${message.length > 500 ? `${message.slice(0, 500)}…` : message} [${code}]`, userError: true };
  return { line: err instanceof Error ? (err.stack ?? err.message) : String(err), userError: false };
}

export async function main(argv: string[]): Promise<number> {
  try {
    const program = await buildProgram(argv);
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode; // commander already printed help or the reason
    const { line, userError } = describeError(err);
    process.stderr.write(line + '\n');
    return userError ? 2 : 1;
  }
}
