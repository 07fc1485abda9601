// `node --import ./record-imports.mjs …` appends every module URL the ESM loader resolves to the file named by
// OIDSTREAM_RECORD_IMPORTS, one per line ("<url> <parent url>"): the test of cheap `--help` reads it.
import { appendFileSync } from 'node:fs';
import { register } from 'node:module';

let out;
export function initialize(data) {
  out = data.out;
}
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(out, `${result.url} ${context.parentURL ?? ''}\n`);
  return result;
}
if (process.env.OIDSTREAM_RECORD_IMPORTS) register(import.meta.url, { data: { out: process.env.OIDSTREAM_RECORD_IMPORTS } });
