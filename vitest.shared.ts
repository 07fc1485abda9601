import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript sources in tests (no build needed), via the
// "@oidstream/source" export condition that each package.json declares.
export const sharedConfig = defineConfig({
  resolve: { conditions: ['@oidstream/source', 'import', 'module', 'node', 'default'] },
  ssr: { resolve: { conditions: ['@oidstream/source', 'import', 'module', 'node', 'default'] } },
  test: {
    environment: 'node',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'samples/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // every skipped suite is listed with its reason at the end (see tools/test-needs)
    reporters: ['default', '@oidstream/test-needs/reporter'],
  },
});
