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

/** The README example, or the first file of samples/ (pipeline links its sample instead of inlining it). */
export function readmeExample(dir: string): WorkspacePackage['example'] {
  const readme = path.join(dir, 'README.md');
  if (existsSync(readme)) {
    const text = readFileSync(readme, 'utf8');
    const section = text.split(/^## /m).find((s) => /^Example\b/.test(s));
    const block = section?.match(/^```ts\n([\s\S]*?)^```$/m);
    if (block) return { from: 'README.md', code: block[1] };
  }
  const samples = path.join(dir, 'samples');
  if (!existsSync(samples)) return undefined;
  const file = readdirSync(samples).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).sort()[0];
  return file ? { from: `samples/${file}`, code: readFileSync(path.join(samples, file), 'utf8') } : undefined;
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
