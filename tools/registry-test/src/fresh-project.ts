import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { cleanEnv, npm } from './registry.js';

const run = promisify(execFile);

/**
 * An empty ESM project whose npm talks only to `registry`. `allowScripts` as @oidstream/jpeg-crop's README advises
 * (its install script builds the libjpeg-turbo binding); false denies it.
 */
export function freshProject(dir: string, registry: string, jpegCropScript = true): string {
  mkdirSync(dir, { recursive: true });
  const pkg = { name: 'fresh', version: '1.0.0', private: true, type: 'module', allowScripts: { '@oidstream/jpeg-crop': jpegCropScript } };
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify(pkg, null, 2));
  writeFileSync(path.join(dir, '.npmrc'), `registry=${registry}\n`);
  return dir;
}

/**
 * `npm install <spec>` as the READMEs tell a user to: ONNXRUNTIME_NODE_INSTALL=skip, because onnxruntime-node's
 * install script fetches a CUDA add-on from a host that is unreachable here (its CPU binary ships in the tarball).
 */
export function install(dir: string, spec: string): Promise<string> {
  return npm(['install', spec, '--no-audit', '--no-fund'], dir, { ONNXRUNTIME_NODE_INSTALL: 'skip' });
}

export interface Ran {
  stdout: string;
  stderr: string;
}

export async function exec(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Ran> {
  try {
    return await run(cmd, args, { cwd, env: cleanEnv(env), maxBuffer: 64 * 1024 * 1024, timeout: 600_000 });
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd}: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

/** Type-checks files of the fresh project as a strict user would (strict + exactOptionalPropertyTypes). */
export function typecheck(dir: string, files: string[], repoRoot: string): Promise<Ran> {
  const tsconfig = {
    compilerOptions: {
      strict: true, exactOptionalPropertyTypes: true, target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext',
      noEmit: true, skipLibCheck: true, types: ['node'], typeRoots: [path.join(repoRoot, 'node_modules/@types')],
    },
    files,
  };
  writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
  return exec(process.execPath, [path.join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], dir);
}

export interface JpegCropStatus {
  available: boolean;
  unavailableReason?: string;
}

/** Whether @oidstream/jpeg-crop, as installed in `dir`, loaded its native binding (undefined when not installed). */
export async function jpegCropStatus(dir: string): Promise<JpegCropStatus | undefined> {
  if (!existsSync(path.join(dir, 'node_modules', '@oidstream', 'jpeg-crop'))) return undefined;
  const code = `const m = await import('@oidstream/jpeg-crop'); console.log(JSON.stringify({ available: m.available, unavailableReason: m.unavailableReason }));`;
  return JSON.parse((await exec(process.execPath, ['--input-type=module', '-e', code], dir)).stdout) as JpegCropStatus;
}
