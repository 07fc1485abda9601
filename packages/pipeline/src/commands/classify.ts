import type { Command } from 'commander';

// Placeholder until its issue lands: the command is listed in --help and says it is not built yet.
export function registerClassify(program: Command): void {
  program
    .command('classify')
    .description('(not built yet)')
    .action(() => {
      throw Object.assign(new Error('the classify command is not built yet'), { code: 'NOT_BUILT' });
    });
}
