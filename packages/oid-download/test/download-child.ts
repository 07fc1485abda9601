// Runs one download in a child process so a test can kill -9 it mid-run. Options come as JSON in argv[2].
import { downloadImages } from '../src/download.js';
import type { DownloadOptions } from '../src/options.js';

const options = JSON.parse(process.argv[2]) as DownloadOptions;
downloadImages(options).then(
  (summary) => {
    process.stdout.write(JSON.stringify(summary) + '\n');
  },
  (err: unknown) => {
    process.stderr.write(String((err as Error)?.stack ?? err) + '\n');
    process.exitCode = 1;
  },
);
