// `oidstream run` from TypeScript sources, for tests that spawn and kill it. Only the run command is registered, so
// the test does not depend on other commands' modules; errors are printed the way cli.ts's main() prints them.
import { Command, CommanderError } from 'commander';
import { registerRun } from '../src/commands/run.js';

const program = new Command('oidstream').exitOverride();
registerRun(program);
program.parseAsync(process.argv).then(
  () => {
    process.exitCode = 0;
  },
  (err: unknown) => {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    const code = (err as { code?: unknown }).code;
    process.stderr.write(typeof code === 'string' ? `oidstream: ${(err as Error).message} [${code}]\n` : `${(err as Error).stack}\n`);
    process.exitCode = typeof code === 'string' ? 2 : 1;
  },
);
