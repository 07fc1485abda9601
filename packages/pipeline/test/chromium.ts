import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Debian's chromium (or a CHROMIUM env override); undefined when absent. */
export function findChromium(): string | undefined {
  const candidates = [process.env.CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
  return candidates.find((c): c is string => !!c && existsSync(c));
}

/** Offline, no sandbox (containers run as root), throwaway profile. */
async function chromium(args: string[], timeoutMs = 60_000): Promise<string> {
  const bin = findChromium();
  if (!bin) throw new Error('chromium not found');
  const profile = await mkdtemp(path.join(os.tmpdir(), 'oidstream-chromium-'));
  try {
    const { stdout } = await run(bin, [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--hide-scrollbars', `--user-data-dir=${profile}`, ...args,
    ], { timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024 });
    return stdout;
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
}

/** The DOM after the page loaded (scripts run), as chromium serialises it. */
export function dumpDom(htmlFile: string): Promise<string> {
  return chromium(['--dump-dom', pathToFileURL(path.resolve(htmlFile)).href]);
}

export async function screenshot(htmlFile: string, pngFile: string, size = '1200,2400'): Promise<void> {
  await chromium([`--screenshot=${path.resolve(pngFile)}`, `--window-size=${size}`, pathToFileURL(path.resolve(htmlFile)).href]);
}
