import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProgram, describeError } from './cli.js';

describe('cli', () => {
  it('prints coded errors as one line and keeps stacks for bugs', () => {
    const user = describeError(Object.assign(new Error('no such class "Tigr"'), { code: 'UNKNOWN_CLASS' }));
    expect(user).toEqual({ line: 'oidstream: no such class "Tigr" [UNKNOWN_CLASS]', userError: true });
    const bug = describeError(new TypeError('x is undefined'));
    expect(bug.userError).toBe(false);
    expect(bug.line).toContain('TypeError: x is undefined');
  });

  it('registers every command of the CLI contract', async () => {
    const names = (await buildProgram()).commands.map((c) => c.name());
    expect(names).toEqual(expect.arrayContaining(['classes', 'pack', 'select', 'chips', 'classify', 'report', 'run', 'bench']));
  });

  it('oidstream --help lists every command without loading any command module', () => {
    const pkg = path.join(import.meta.dirname, '..');
    const help = execFileSync(process.execPath, [path.join(pkg, 'bin/oidstream.js'), '--help'], { encoding: 'utf8' });
    for (const c of ['classes', 'select', 'pack', 'chips', 'classify', 'report', 'run', 'bench', 'download', 'enqueue', 'worker', 'status', 'merge']) {
      expect(help).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
    }
    const chipsHelp = execFileSync(process.execPath, [path.join(pkg, 'bin/oidstream.js'), 'chips', '--help'], { encoding: 'utf8' });
    expect(chipsHelp).toContain('--boxes <file>');
  });

  // packages whose load costs a tenth of a second or more: a command's --help must not pay for them
  const HEAVY = /^(onnxruntime-node|onnxruntime-common|bullmq|ioredis|sharp|apache-arrow|vega|vega-lite|h5wasm|@tensorflow\/[^/]+|hyparquet|hyparquet-writer|hyparquet-compressors|@duckdb\/[^/]+)$/;

  it('`oidstream <command> --help` loads no heavy package, for every command (the compiled bin, a resolve hook records each import)', async () => {
    const pkg = path.join(import.meta.dirname, '..');
    const names = (await buildProgram()).commands.map((c) => c.name());
    expect(names.length).toBeGreaterThanOrEqual(13);
    const dir = mkdtempSync(path.join(tmpdir(), 'oidstream-help-'));
    try {
      for (const name of ['', ...names]) {
        const log = path.join(dir, `${name || 'top'}.txt`);
        const argv = ['--import', path.join(pkg, 'test/record-imports.mjs'), path.join(pkg, 'bin/oidstream.js'), ...(name ? [name] : []), '--help'];
        const help = execFileSync(process.execPath, argv, { encoding: 'utf8', env: { ...process.env, OIDSTREAM_RECORD_IMPORTS: log } });
        expect(help).toContain(name ? `Usage: oidstream ${name}` : 'Usage: oidstream');
        const urls = readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => l.split(' ')[0]!);
        expect(urls.length, 'the hook saw the imports').toBeGreaterThan(2);
        const packages = new Set(urls.map((u) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u)?.[1]).filter((p): p is string => p !== undefined));
        expect([...packages].filter((p) => HEAVY.test(p)), `oidstream ${name} --help loaded ${[...packages].join(', ')}`).toEqual([]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('oidstream --version prints the package version (the compiled bin)', () => {
    const pkg = path.join(import.meta.dirname, '..');
    const version = JSON.parse(readFileSync(path.join(pkg, 'package.json'), 'utf8')).version;
    expect(execFileSync(process.execPath, [path.join(pkg, 'bin/oidstream.js'), '--version'], { encoding: 'utf8' })).toBe(`${version}\n`);
  });
});

describe('cli error lines', () => {
  it('a coded error whose message quotes a huge line prints one line of bounded length', () => {
    const huge = 'x'.repeat(5_000_000);
    const { line } = describeError(Object.assign(new Error(`bad.csv: header has no ImageID column (header: ${huge})\nsecond line`), { code: 'MISSING_COLUMN' }));
    expect(line.length).toBeLessThan(600);
    expect(line).not.toContain('\n');
    expect(line).toMatch(/\[MISSING_COLUMN\]$/);
  });
});
