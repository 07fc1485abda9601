import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerRun } from './commands/run.js';

describe('oidstream run --shard i/N wiring', () => {
  function program() {
    const p = new Command('oidstream').exitOverride();
    registerRun(p);
    return p;
  }

  it('run has --shard and checks its value before any work', async () => {
    const p = program();
    const run = p.commands.find((c) => c.name() === 'run')!;
    expect(run.options.map((o) => o.long)).toContain('--shard');
    for (const bad of ['3/3', '1', 'a/b', '-1/4']) {
      await expect(p.parseAsync(['node', 'oidstream', 'run', '--data', '/nowhere', '--out', '/tmp/x', '--shard', bad])).rejects.toMatchObject({ code: 'BAD_SHARD' });
    }
  });

  it('without --shard, run keeps its own behaviour', async () => {
    const out = await mkdtemp(path.join(os.tmpdir(), 'oidstream-run-shard-'));
    try {
      await expect(program().parseAsync(['node', 'oidstream', 'run', '--data', '/nowhere/at/all', '--out', out])).rejects.toMatchObject({ code: 'DATA_DIR_INVALID' });
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
