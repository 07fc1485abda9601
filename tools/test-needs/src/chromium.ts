import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
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

/**
 * Loads a copy of the page at `width` CSS px and reports the page's scroll width and the elements that stick out
 * past the window's right edge (a script added to the copy writes them into the DOM that --dump-dom prints).
 */
export async function horizontalOverflow(htmlFile: string, width = 1280): Promise<{ clientWidth: number; scrollWidth: number; offenders: string[] }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'oidstream-overflow-'));
  try {
    const probe = `<script>addEventListener('load', () => {
  const root = document.documentElement;
  const offenders = [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > root.clientWidth + 0.5)
    .map((e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ').join('.') : ''));
  const out = document.createElement('pre');
  out.id = 'overflow-probe';
  out.textContent = JSON.stringify({ clientWidth: root.clientWidth, scrollWidth: root.scrollWidth, offenders: offenders.slice(0, 20) });
  document.body.appendChild(out);
  out.style.position = 'absolute'; out.style.left = '0'; out.style.width = '10px'; out.style.overflow = 'hidden';
});</script>`;
    const copy = path.join(dir, 'page.html');
    const html = await readFile(htmlFile, 'utf8');
    await writeFile(copy, html.includes('</body>') ? html.replace('</body>', `${probe}</body>`) : html + probe);
    const dom = await chromium(['--dump-dom', `--window-size=${width},900`, pathToFileURL(copy).href]);
    const m = dom.match(/<pre id="overflow-probe"[^>]*>([^<]*)<\/pre>/);
    if (!m) throw new Error('the overflow probe did not run');
    return JSON.parse(m[1].replace(/&quot;/g, '"').replace(/&amp;/g, '&')) as { clientWidth: number; scrollWidth: number; offenders: string[] };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
