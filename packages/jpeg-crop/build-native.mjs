// Builds the libjpeg-turbo binding with node-gyp (npm puts it on a script's PATH). A failed build is not an install
// failure: the package then reports `available: false` and its users fall back (chip-extract to sharp).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';

const addon = 'build/Release/jpeg_crop.node';
const newestSource = Math.max(...['binding.gyp', ...readdirSync('native').map((f) => `native/${f}`)].map((f) => statSync(f).mtimeMs));
if (existsSync(addon) && statSync(addon).mtimeMs >= newestSource) process.exit(0);
const r = spawnSync('node-gyp', ['rebuild', '--silent'], { stdio: ['ignore', 'ignore', 'pipe'], shell: process.platform === 'win32' });
if (r.status !== 0) {
  const why = r.error ? r.error.message : String(r.stderr).split('\n').find((l) => /error/i.test(l)) ?? `exit ${r.status}`;
  const message = `native build failed (${why.trim().slice(0, 200)}); it needs a C compiler and libjpeg-turbo's headers (Debian: apt-get install libjpeg62-turbo-dev), then npm rebuild @oidstream/jpeg-crop`;
  console.warn(`@oidstream/jpeg-crop: ${message}. Chips are then cut with sharp.`);
  // npm hides an install script's output: unavailableReason reads this
  mkdirSync('build', { recursive: true });
  writeFileSync('build/build-error.txt', `${message}\n`);
}
