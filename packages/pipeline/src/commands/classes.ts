import type { Command } from 'commander';
import { collect } from '../cli-values.js';

interface ClassesFlags {
  metadata: string;
  classes?: string[];
  under?: string[];
  json?: boolean;
}


export function registerClasses(program: Command): void {
  program
    .command('classes')
    .description('Resolve OID classes by display name or hierarchy (default: the six big cats) and print their MIDs')
    .requiredOption('--metadata <dir|csv>', 'metadata dir (class-descriptions-boxable.csv, bbox_labels_600_hierarchy.json) or a class-description CSV')
    .option('--classes <names>', 'display names or MIDs, comma-separated (CSV quoting for names with commas); repeatable', collect)
    .option('--under <name>', 'every class below this one in the hierarchy; repeatable', collect)
    .option('--json', 'print a JSON array of {LabelName, DisplayName}')
    .action(async (opts: ClassesFlags) => {
      const { loadMetadata, selectClasses } = await import('@oidstream/oid-labels'); // csv-parse: loaded to run, not for --help
      const { catalog, hierarchy } = loadMetadata(opts.metadata);
      const classes = selectClasses(catalog, { classes: opts.classes, under: opts.under, hierarchy });
      if (opts.json) process.stdout.write(JSON.stringify(classes, null, 2) + '\n');
      else process.stdout.write(classes.map((c) => `${c.LabelName}\t${c.DisplayName}\n`).join(''));
    });
}
