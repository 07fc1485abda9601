import { parseArgs } from 'node:util';
import { generateOid, GenOidError, GENERATE_DEFAULTS } from './gen-oid.js';

const USAGE = `usage: gen-oid --out DIR [--images N | --box-rows N] [--seed S] [--big-cat-share P] [--no-jpeg] [--no-rotation] [--quality Q] [--force]
  Writes a deterministic OID-shaped data dir (metadata/, annotations/, images/).
  --images N     number of images (default ${GENERATE_DEFAULTS.images})
  --box-rows N   instead: generate until at least N box rows (scale tests; combine with --no-jpeg)
  --seed S       PRNG seed (default ${GENERATE_DEFAULTS.seed}); same seed, same bytes
  --big-cat-share P  share of objects that are big cats (default ${GENERATE_DEFAULTS.bigCatShare})
  --no-jpeg      CSV files only
  --no-rotation  skip the *-images-with-rotation.csv files
  --force        replace metadata/, annotations/, images/ of a non-empty DIR`;

function positiveInt(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new GenOidError('BAD_OPTIONS', `--${name} must be a positive integer, got ${JSON.stringify(v)}`);
  return n;
}

export async function main(argv: string[]): Promise<number> {
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        out: { type: 'string' }, images: { type: 'string' }, 'box-rows': { type: 'string' }, seed: { type: 'string' },
        'no-jpeg': { type: 'boolean' }, 'big-cat-share': { type: 'string' }, 'no-rotation': { type: 'boolean' }, quality: { type: 'string' }, force: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      process.stdout.write(USAGE + '\n');
      return 0;
    }
    if (!values.out) throw new GenOidError('BAD_OPTIONS', '--out is required');
    const started = Date.now();
    const result = await generateOid({
      out: values.out,
      images: positiveInt('images', values.images),
      boxRows: positiveInt('box-rows', values['box-rows']),
      seed: values.seed === undefined ? undefined : Number(values.seed),
      bigCatShare: values['big-cat-share'] === undefined ? undefined : Number(values['big-cat-share']),
      jpeg: !values['no-jpeg'],
      rotationFiles: !values['no-rotation'],
      quality: positiveInt('quality', values.quality),
      force: values.force,
      onProgress: (p) => process.stderr.write(`gen-oid: ${p.images} images, ${p.boxRows} box rows\r`),
    });
    process.stderr.write('\n');
    const { files, ...counts } = result;
    process.stdout.write(JSON.stringify({ ...counts, files: files.length, seconds: (Date.now() - started) / 1000 }) + '\n');
    return 0;
  } catch (err) {
    const e = err as Error & { code?: unknown };
    process.stderr.write(typeof e.code === 'string' ? `gen-oid: ${e.message} [${e.code}]\n${USAGE}\n` : `${e.stack ?? e}\n`);
    return 2;
  }
}
