import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireOutputLock } from './output-lock.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'output-lock-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A real second process holding a lock file the way acquireOutputLock writes it. */
function holdInChild(file: string): Promise<{ pid: number; kill: () => Promise<void> }> {
  const code = `const fs=require('fs'),os=require('os');fs.writeFileSync(${JSON.stringify(file)},JSON.stringify({pid:process.pid,host:os.hostname(),started:new Date().toISOString(),command:'child'}));process.stdout.write('ready\\n');setInterval(()=>{},1000);`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve) => {
    child.stdout.once('data', () =>
      resolve({
        pid: child.pid!,
        kill: () => new Promise<void>((done) => {
          child.once('exit', () => done());
          child.kill('SIGKILL');
        }),
      }),
    );
  });
}

describe('acquireOutputLock', () => {
  it('writes the holder (pid, host, start time, command) and removes the file on release', async () => {
    const file = path.join(dir, 'a', 'out.lock');
    const lock = await acquireOutputLock(file, { command: 'download' });
    const holder = JSON.parse(readFileSync(file, 'utf8'));
    expect(holder).toMatchObject({ pid: process.pid, host: os.hostname(), command: 'download' });
    expect(Date.parse(holder.started)).toBeGreaterThan(Date.now() - 60_000);
    expect(lock.tookOver).toBeUndefined();
    await lock.release();
    expect(existsSync(file)).toBe(false);
  });

  it('refuses at once while a live process holds it, naming that process', async () => {
    const file = path.join(dir, 'live.lock');
    const child = await holdInChild(file);
    try {
      const started = Date.now();
      await expect(acquireOutputLock(file)).rejects.toMatchObject({ code: 'LOCKED', message: expect.stringContaining(`pid ${child.pid}`) });
      expect(Date.now() - started).toBeLessThan(1000);
    } finally {
      await child.kill();
    }
  });

  it('takes over the lock of a process killed with -9, with a note', async () => {
    const file = path.join(dir, 'stale.lock');
    const child = await holdInChild(file);
    await child.kill();
    const notes: string[] = [];
    const lock = await acquireOutputLock(file, { onNote: (m) => notes.push(m) });
    expect(lock.tookOver?.pid).toBe(child.pid);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/taking over.*gone/);
    expect(JSON.parse(readFileSync(file, 'utf8')).pid).toBe(process.pid);
    await lock.release();
  });

  it('never takes over a lock from another host', async () => {
    const file = path.join(dir, 'remote.lock');
    writeFileSync(file, JSON.stringify({ pid: 999999, host: 'some-other-host', started: '2026-01-01T00:00:00.000Z', command: 'run' }));
    await expect(acquireOutputLock(file)).rejects.toMatchObject({ code: 'LOCKED', message: expect.stringContaining('some-other-host') });
    expect(existsSync(file)).toBe(true);
  });

  it('a second acquire in the same process is refused too (one writer per output)', async () => {
    const file = path.join(dir, 'twice.lock');
    const lock = await acquireOutputLock(file);
    await expect(acquireOutputLock(file)).rejects.toMatchObject({ code: 'LOCKED' });
    await lock.release();
    const again = await acquireOutputLock(file);
    await again.release();
  });
});
