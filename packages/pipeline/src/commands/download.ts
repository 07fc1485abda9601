import type { Command } from 'commander';
import { integerAtLeast } from '../cli-values.js';
import { PipelineError } from '../errors.js';
import { DOWNLOAD_DEFAULTS } from '@oidstream/oid-download/options';
import type { ImageRef } from '@oidstream/oid-download';
import { addSelectionOptions, selectionOptions, type SelectionFlags } from '../stage-flags.js';
import type { SelectOptions } from '../stages/select.js';

interface DownloadFlags extends SelectionFlags {
  data?: string;
  out: string;
  ids?: string;
  boxes?: string;
  source: string;
  baseUrl: string;
  concurrency: string;
  timeout: string;
  retries: string;
  backoff: string;
  maxBytes: string;
  partBytes: string;
  retryMissing?: boolean;
  json?: boolean;
}

/**
 * The images the selection needs: distinct ImageIDs of the selected boxes (an image labelled with a class but without
 * a box of it yields no chip, so it is not fetched).
 */
async function* imageRefsFromSelection(options: SelectOptions): AsyncGenerator<ImageRef> {
  const seen = new Set<string>();
  const { selectBoxes } = await import('../stages/select.js');
  for await (const box of selectBoxes(options)) {
    if (seen.has(box.ImageID)) continue;
    seen.add(box.ImageID);
    yield { ImageID: box.ImageID };
  }
}

export function registerDownload(program: Command): void {
  const cmd = program
    .command('download')
    .description('Fetch the selected images (Open Images S3, OriginalURL or thumbnails) into images.parquet: retries, verification, resumable')
    .requiredOption('--out <images.parquet>', 'output Parquet file; download-errors.jsonl is written beside it')
    .option('--data <dir>', 'OID data dir: runs the selection on it (unless --boxes/--ids), and reads its images-with-rotation CSVs (URLs, MD5, Rotation, License, Author)');
  addSelectionOptions(cmd)
    .option('--boxes <boxes.parquet>', 'instead of selecting: the images of this select output')
    .option('--ids <file>', 'instead of selecting: the ImageIDs in this file (one per line, optionally "split/ImageID" or "ImageID,split")')
    .option('--source <s3|original|thumbnail>', 'where to fetch from', DOWNLOAD_DEFAULTS.source)
    .option('--base-url <url>', 'base of the S3 layout <base>/<split>/<ImageID>.jpg', DOWNLOAD_DEFAULTS.baseUrl)
    .option('--concurrency <n>', 'requests in flight', String(DOWNLOAD_DEFAULTS.concurrency))
    .option('--timeout <ms>', 'per-request timeout, first byte to last', String(DOWNLOAD_DEFAULTS.timeoutMs))
    .option('--retries <n>', 'retries on 429/5xx/reset/timeout/bad bytes (404/403 are never retried)', String(DOWNLOAD_DEFAULTS.retries))
    .option('--backoff <ms>', 'first retry delay; doubles per retry, with jitter', String(DOWNLOAD_DEFAULTS.backoffMs))
    .option('--max-bytes <n>', 'largest image accepted; bounds memory at about concurrency × max-bytes', String(DOWNLOAD_DEFAULTS.maxBytes))
    .option('--part-bytes <n>', 'image bytes per committed part (the unit a resumed run keeps)', String(DOWNLOAD_DEFAULTS.partBytes))
    .option('--retry-missing', 'ask again for images an earlier run found missing (404/403)')
    .option('--json', 'progress as one JSON line per event on stderr, summary as JSON on stdout')
    .action(async (flags: DownloadFlags) => {
      const sources = [flags.ids, flags.boxes].filter(Boolean).length;
      if (sources > 1) throw new PipelineError('BAD_OPTION', 'give at most one of --ids and --boxes');
      // fetch, retry and Parquet modules load to run, not for --help
      const { downloadImages, formatReasons, imageRefsFromBoxes, progressReporter, readIdList } = await import('@oidstream/oid-download');
      let images: Iterable<ImageRef> | AsyncIterable<ImageRef>;
      if (flags.ids) images = await readIdList(flags.ids);
      else if (flags.boxes) images = imageRefsFromBoxes(flags.boxes);
      else if (flags.data) {
        images = imageRefsFromSelection({ data: flags.data, ...selectionOptions(flags) });
      } else throw new PipelineError('BAD_OPTION', 'say which images to fetch: --data <dir> (runs the selection), --boxes <boxes.parquet> or --ids <file>');
      const summary = await downloadImages({
        images,
        out: flags.out,
        data: flags.data,
        source: flags.source,
        baseUrl: flags.baseUrl,
        concurrency: integerAtLeast('--concurrency', flags.concurrency, 1),
        timeoutMs: integerAtLeast('--timeout', flags.timeout, 1),
        retries: integerAtLeast('--retries', flags.retries, 0),
        backoffMs: integerAtLeast('--backoff', flags.backoff, 0),
        maxBytes: integerAtLeast('--max-bytes', flags.maxBytes, 1),
        partBytes: integerAtLeast('--part-bytes', flags.partBytes, 1),
        retryMissing: Boolean(flags.retryMissing),
        onProgress: progressReporter({ json: Boolean(flags.json) }),
      });
      if (flags.json) process.stdout.write(JSON.stringify(summary) + '\n');
      else {
        process.stdout.write(
          `${summary.out}: ${summary.rows} images (${summary.fetched} fetched now, ${summary.kept} kept from before); ` +
            `${summary.errors} not stored → ${summary.errorsFile}\n`,
        );
      }
      if (summary.errors > 0 && !flags.json) {
        process.stderr.write(`oidstream: ${summary.errors} of ${summary.selected} selected images could not be stored (${formatReasons(summary.errorsByReason)}); see ${summary.errorsFile}\n`);
      }
    });
}
