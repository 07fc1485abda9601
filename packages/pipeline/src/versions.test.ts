import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectVersions } from './versions.js';

// where Node finds it from this package: its own node_modules first, then the workspace root's
const installed = (pkg: string): string => {
  const dir = [path.join(import.meta.dirname, '../node_modules'), path.join(import.meta.dirname, '../../../node_modules')].find((d) => existsSync(path.join(d, pkg)));
  return JSON.parse(readFileSync(path.join(dir!, pkg, 'package.json'), 'utf8')).version;
};

describe('collectVersions', () => {
  it('lists every output-deciding library, including those whose exports map hides package.json', () => {
    const v = collectVersions();
    for (const pkg of ['sharp', 'hyparquet', 'hyparquet-writer', 'vega', 'vega-lite', 'onnxruntime-node', 'csv-parse', '@tensorflow/tfjs-core', '@tensorflow/tfjs-layers']) {
      expect(v[pkg], pkg).toBe(installed(pkg));
    }
    expect(v['@oidstream/pipeline']).toBe(JSON.parse(readFileSync(path.join(import.meta.dirname, '../package.json'), 'utf8')).version);
    expect(v['@oidstream/chip-extract']).toMatch(/^\d+\.\d+\.\d+/);
    expect(v.node).toBe(process.version);
  });
});
