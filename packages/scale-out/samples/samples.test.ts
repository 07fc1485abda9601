import { describe, expect, it } from 'vitest';
import { needs } from '@oidstream/test-needs';
import { findRedisServer } from '@oidstream/scale-out';
import { main } from './queue-local.js';

describe.skipIf(needs('redis-server (apt-get install -y redis-server)', !!findRedisServer()))('README sample (needs redis-server)', () => {
  it('queue-local.ts: a function processor serves three shards', async () => {
    const { done, states } = await main();
    expect(done).toEqual({ completed: 3, failed: 0 });
    expect(states.map((s) => [s.state, s.result?.images])).toEqual([['completed', 100], ['completed', 100], ['completed', 100]]);
  });
});
