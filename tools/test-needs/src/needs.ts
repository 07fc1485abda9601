import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The one place where a test says what it needs from the machine. On a developer machine a missing prerequisite skips
 * (the skip reporter lists it with its reason at the end); with OIDSTREAM_REQUIRE_ALL=1 (set by .ci/run) it throws,
 * so the suite fails instead of going green without having run.
 */
export const REQUIRE_ALL = process.env.OIDSTREAM_REQUIRE_ALL === '1';

export class MissingPrerequisiteError extends Error {
  readonly code = 'MISSING_PREREQUISITE';
  constructor(readonly what: string) {
    super(`missing test prerequisite: ${what} (OIDSTREAM_REQUIRE_ALL=1 turns this skip into a failure)`);
  }
}

/** `true` when the tests that need `what` must skip: use as `describe.skipIf(needs('…', ok))`. Throws under REQUIRE_ALL. */
export function needs(what: string, ok: boolean): boolean {
  if (ok) return false;
  if (REQUIRE_ALL) throw new MissingPrerequisiteError(what);
  return true;
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** The shared real inputs: $OIDSTREAM_SHARED, else `../shared` beside the repo root. */
export const SHARED_DIR = process.env.OIDSTREAM_SHARED ?? path.resolve(repoRoot, '../shared');
export const REPO_ROOT = repoRoot;

/** `../shared/<relative>` exists. */
export function haveShared(...relative: string[]): boolean {
  return relative.every((r) => existsSync(path.join(SHARED_DIR, r)));
}
