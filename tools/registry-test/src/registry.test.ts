import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveShared, needs, REPO_ROOT, SHARED_DIR } from '@oidstream/test-needs';
import { exec, freshProject, install, jpegCropStatus, typecheck } from './fresh-project.js';
import { readmeDrift, workspacePackages } from './packages.js';
import { npm, startRegistry, type LocalRegistry } from './registry.js';

const packages = workspacePackages(REPO_ROOT);
const data = path.join(REPO_ROOT, 'test-data', 'oid');
const model = path.join(SHARED_DIR, 'models', 'mobilenet_v1_0.75_224');
const tsx = path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const work = mkdtempSync(path.join(os.tmpdir(), 'oidstream-registry-'));
let registry: LocalRegistry | undefined;
const tarballs = new Map<string, string>();
/** libjpeg-turbo's headers, which the jpeg-crop binding builds against (.ci/run installs them). */
const jpegHeaders = existsSync('/usr/include/jpeglib.h');

/** The command-line arguments of each package's example; the rest take `[data dir] [out dir]`. */
function exampleArgs(name: string, out: string): string[] | undefined {
  if (name === '@oidstream/keras-models') return needs('../shared/models (the keras-models example classifies with a real model)', haveShared('models/mobilenet_v1_0.75_224')) ? undefined : [model, data];
  if (name === '@oidstream/pipeline') return [data, out, ...(haveShared('models/mobilenet_v1_0.75_224') ? [model] : [])];
  if (name === '@oidstream/oid-download') return [path.join(data, 'images'), path.join(out, 'images.parquet')];
  if (name === '@oidstream/report') {
    // a run directory to report on, made by the workspace's own CLI (the report package does not depend on pipeline)
    execFileSync(process.execPath, [path.join(REPO_ROOT, 'packages/pipeline/bin/oidstream.js'), 'select', '--data', data, '--out', out]);
    return [out];
  }
  return [data, out];
}

beforeAll(async () => {
  registry = await startRegistry(path.join(work, 'registry'));
  mkdirSync(path.join(work, 'tarballs'));
  for (const p of packages) {
    const [packed] = JSON.parse(await npm(['pack', p.dir, '--json', '--pack-destination', path.join(work, 'tarballs')], work)) as Array<{ filename: string }>;
    const tarball = path.join(work, 'tarballs', packed.filename.replace(/^@/, '').replace('/', '-'));
    tarballs.set(p.name, tarball);
    await npm(['publish', tarball, '--userconfig', registry.npmrc, '--registry', registry.url, '--access', 'public'], work);
  }
});

afterAll(async () => {
  await registry?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('every package, published to a local Verdaccio and installed alone in a fresh project', () => {
  it('finds the packages generically under packages/', () => {
    const names = packages.map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining(['@oidstream/oid-labels', '@oidstream/oid-join', '@oidstream/parquet-io', '@oidstream/chip-extract', '@oidstream/keras-models', '@oidstream/pipeline']));
    for (const p of packages) {
      expect(p.example, `${p.name} has a sample (its README example)`).toBeDefined();
      expect(readmeDrift(p.dir, p.example!)).toBeUndefined();
    }
  });

  for (const p of packages) {
    it(`${p.name}: the tarball has LICENSE, README, types, npm metadata and source maps that carry their sources`, () => {
      const into = path.join(work, 'unpacked', p.name.replace('/', '-'));
      mkdirSync(into, { recursive: true });
      execFileSync('tar', ['-xzf', tarballs.get(p.name)!, '-C', into]);
      const root = path.join(into, 'package');
      for (const f of ['LICENSE', 'README.md', 'package.json', 'dist/index.js', 'dist/index.d.ts']) expect(existsSync(path.join(root, f)), `${p.name}: ${f}`).toBe(true);
      const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
      expect(pkg.license).toBe('MIT');
      expect(pkg.repository?.url).toMatch(/^git\+https:\/\//);
      expect(pkg.homepage).toMatch(/^https:\/\//);
      expect(pkg.bugs?.url).toMatch(/^https:\/\//);
      expect(pkg.engines?.node).toBe('>=20');
      expect(pkg.keywords?.length).toBeGreaterThan(0);
      const maps = readdirSync(path.join(root, 'dist'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.js.map'));
      expect(maps.length).toBeGreaterThan(0);
      for (const m of maps) {
        const map = JSON.parse(readFileSync(path.join(root, 'dist', m), 'utf8')) as { sources: string[]; sourcesContent?: string[] };
        expect(map.sourcesContent?.length, `${p.name} dist/${m} sourcesContent`).toBe(map.sources.length);
        expect(map.sourcesContent!.every((s) => s.length > 0)).toBe(true);
      }
    });

    it(`${p.name}: installs alone from the registry; its README example type-checks (strict, exactOptionalPropertyTypes) and runs with npx tsx`, async (ctx) => {
      const dir = freshProject(path.join(work, 'fresh', p.name.replace('/', '-')), registry!.url);
      await install(dir, `${p.name}@${p.version}`);
      const installed = JSON.parse(readFileSync(path.join(dir, 'node_modules', p.name, 'package.json'), 'utf8'));
      expect(installed.version).toBe(p.version);
      // the import works from plain node (no export conditions, no tsx)
      await exec(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(p.name)}); if (Object.keys(m).length === 0) process.exit(3);`], dir);
      // the native binding built from the tarball's sources (native/, binding.gyp), or says why not
      const jpeg = await jpegCropStatus(dir);
      if (jpeg && jpegHeaders) expect(jpeg, 'jpeg-crop built in the fresh project').toEqual({ available: true });
      if (jpeg && !jpegHeaders) expect(jpeg.unavailableReason).toMatch(/native build failed/);
      const example = p.example!;
      writeFileSync(path.join(dir, 'example.ts'), example.code);
      await typecheck(dir, ['example.ts'], REPO_ROOT);
      const args = exampleArgs(p.name, path.join(dir, 'out'));
      if (!args) return ctx.skip('needs ../shared/models to run the example');
      const ran = await exec(process.execPath, [tsx, 'example.ts', ...args], dir, { OIDSTREAM_OFFLINE: '1' });
      expect(ran.stdout.trim().length, `${p.name} example printed nothing`).toBeGreaterThan(0);
    });
  }

  it('@oidstream/chip-extract with the jpeg-crop install script denied: the binding reports itself unavailable, and sharp cuts every chip', async () => {
    const p = packages.find((q) => q.name === '@oidstream/chip-extract')!;
    const dir = freshProject(path.join(work, 'fresh', 'chip-extract-no-libjpeg'), registry!.url, false);
    await install(dir, `${p.name}@${p.version}`);
    const jpeg = await jpegCropStatus(dir);
    expect(jpeg?.available).toBe(false);
    expect(jpeg?.unavailableReason).toMatch(/install script did not run/);
    writeFileSync(path.join(dir, 'example.ts'), p.example!.code);
    const ran = await exec(process.execPath, [tsx, 'example.ts', data, path.join(dir, 'out')], dir);
    const chips = readdirSync(path.join(dir, 'out', 'chips'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.jpg'));
    const boxRows = readFileSync(path.join(data, 'annotations', 'test-annotations-bbox.csv'), 'utf8').trim().split('\n').length - 1;
    expect(chips.length, ran.stdout).toBe(boxRows);
  });

  it('npx oidstream --version and npx oidstream run on test-data/oid, from the registry install of @oidstream/pipeline', async () => {
    const pipeline = packages.find((p) => p.name === '@oidstream/pipeline')!;
    const dir = path.join(work, 'fresh', '@oidstream-pipeline');
    if (!existsSync(path.join(dir, 'node_modules', '@oidstream', 'pipeline'))) await install(freshProject(dir, registry!.url), `${pipeline.name}@${pipeline.version}`);
    expect((await exec('npx', ['oidstream', '--version'], dir)).stdout.trim()).toBe(pipeline.version);
    // the size a user pays for the CLI (issue 12's target: ≤ 500 MB of node_modules)
    const kb = Number(execFileSync('du', ['-sk', path.join(dir, 'node_modules')], { encoding: 'utf8' }).split('\t')[0]);
    console.log(`a fresh install of ${pipeline.name}: ${(kb / 1024).toFixed(0)} MB of node_modules`);
    expect(kb / 1024).toBeLessThanOrEqual(500);
    const withModel = !needs('../shared/models (oidstream run classifies with the real MobileNet)', haveShared('models/mobilenet_v1_0.75_224'));
    const out = path.join(dir, 'run-out');
    await exec('npx', ['oidstream', 'run', '--data', data, '--out', out, ...(withModel ? ['--model', `mobilenet=${model}`] : [])], dir, { OIDSTREAM_OFFLINE: '1' });
    for (const f of ['boxes.parquet', 'images.parquet', 'chips.parquet', 'report.html', 'run.json']) expect(existsSync(path.join(out, f)), f).toBe(true);
    if (withModel) expect(existsSync(path.join(out, 'predictions.parquet'))).toBe(true);
    const runJson = JSON.parse(readFileSync(path.join(out, 'run.json'), 'utf8'));
    expect(JSON.stringify(runJson)).toContain(`"@oidstream/pipeline":"${pipeline.version}"`);
  });
});
