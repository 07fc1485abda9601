import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';

export interface WorkspacePackage {
  dir: string;
  name: string;
  version: string;
  bin: Record<string, string>;
  /** The README's runnable example (the first ```ts block under "## Example"), else the package's sample file. */
  example?: { from: string; code: string };
}

/**
 * The package's runnable example: its sample file (samples/*.ts), which the README's "## Example" shows verbatim or
 * links (a README block that is a whole program must equal the sample: `readmeDrift` says where it does not).
 */
export function readmeExample(dir: string): WorkspacePackage['example'] {
  const samples = path.join(dir, 'samples');
  if (!existsSync(samples)) return undefined;
  const file = readdirSync(samples).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).sort()[0];
  return file ? { from: `samples/${file}`, code: readFileSync(path.join(samples, file), 'utf8') } : undefined;
}

/** A README "## Example" block that is a whole program (it exports main) but differs from the sample it stands for. */
export function readmeDrift(dir: string, example: NonNullable<WorkspacePackage['example']>): string | undefined {
  const readme = path.join(dir, 'README.md');
  if (!existsSync(readme)) return undefined;
  const section = readFileSync(readme, 'utf8').split(/^## /m).find((s) => /^Example\b/.test(s));
  const block = section?.match(/^```ts\n([\s\S]*?)^```$/m)?.[1];
  if (!block || !block.includes('export async function main')) return undefined;
  return block === example.code ? undefined : `README.md's Example block differs from ${example.from}`;
}

/** Every publishable package under packages/ (new ones are picked up without listing them here). */
export function workspacePackages(root: string): WorkspacePackage[] {
  const base = path.join(root, 'packages');
  return readdirSync(base)
    .filter((d) => existsSync(path.join(base, d, 'package.json')))
    .map((d) => {
      const dir = path.join(base, d);
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name: string; version: string; private?: boolean; bin?: Record<string, string> };
      return { dir, pkg };
    })
    .filter(({ pkg }) => !pkg.private)
    .map(({ dir, pkg }) => {
      const example = readmeExample(dir);
      return { dir, name: pkg.name, version: pkg.version, bin: pkg.bin ?? {}, ...(example ? { example } : {}) };
    });
}
