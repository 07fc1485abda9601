import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

/** The libraries whose versions decide a run's outputs (chips, predictions, parquet bytes, charts). */
const OUR_PACKAGES = ['@oidstream/pipeline', '@oidstream/oid-labels', '@oidstream/oid-join', '@oidstream/parquet-io', '@oidstream/chip-extract', '@oidstream/keras-models'];
const THIRD_PARTY = [
  'sharp', 'hyparquet', 'hyparquet-writer', 'hyparquet-compressors', 'csv-parse', 'apache-arrow', 'h5wasm', 'onnxruntime-node',
  '@tensorflow/tfjs-core', '@tensorflow/tfjs-layers', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-cpu',
  'vega', 'vega-lite',
];

/**
 * The version in `<node_modules>/<pkg>/package.json`, looked up along Node's own search path from `from` — not through
 * `require('<pkg>/package.json')`, which packages with an `exports` map refuse (ERR_PACKAGE_PATH_NOT_EXPORTED).
 */
function versionOf(pkg: string, from: readonly string[]): string | undefined {
  for (const dir of from.flatMap((f) => require.resolve.paths(f) ?? [])) {
    const file = path.join(dir, pkg, 'package.json');
    if (!existsSync(file)) continue;
    try {
      return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version;
    } catch {
      return undefined;
    }
  }
  return undefined; // not installed (optional dependency)
}

/** Versions that explain a run's numbers: the tool, the runtime, and the libraries doing the work. */
export function collectVersions(): Record<string, string> {
  const out: Record<string, string> = {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: String(os.availableParallelism()),
  };
  // search from here and from each of our packages' own dirs (a nested install keeps their dependencies beside them)
  const from = [path.dirname(fileURLToPath(import.meta.url))];
  for (const pkg of OUR_PACKAGES) {
    const v = versionOf(pkg, from);
    if (v) out[pkg] = v;
  }
  for (const pkg of OUR_PACKAGES) for (const dir of require.resolve.paths(pkg) ?? []) if (existsSync(path.join(dir, pkg))) from.push(path.join(dir, pkg, 'x'));
  for (const pkg of THIRD_PARTY) {
    const v = versionOf(pkg, from);
    if (v) out[pkg] = v;
  }
  return out;
}
