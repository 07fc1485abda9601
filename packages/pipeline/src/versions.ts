import { createRequire } from 'node:module';
import os from 'node:os';

const require = createRequire(import.meta.url);

function versionOf(pkg: string): string | undefined {
  try {
    return (require(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return undefined; // not installed (optional dependency) or no package.json export
  }
}

/** Versions that explain a run's numbers: the tool, the runtime, and the libraries doing the work. */
export function collectVersions(): Record<string, string> {
  const out: Record<string, string> = {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: String(os.availableParallelism()),
  };
  for (const pkg of ['@oidstream/pipeline', 'sharp', 'hyparquet', 'hyparquet-writer', '@tensorflow/tfjs-core', 'onnxruntime-node', 'vega', 'vega-lite']) {
    const v = versionOf(pkg);
    if (v) out[pkg] = v;
  }
  return out;
}
