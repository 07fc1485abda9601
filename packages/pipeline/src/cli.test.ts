import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
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
