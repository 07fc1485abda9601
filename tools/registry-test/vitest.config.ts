import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.js';

// One registry for the whole file: publishing and fresh installs take minutes.
export default mergeConfig(sharedConfig, defineConfig({ test: { include: ['src/**/*.test.ts'], testTimeout: 600_000, hookTimeout: 900_000 } }));
