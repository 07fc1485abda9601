import type { Command } from 'commander';
import { REDIS_TIMEOUT_DEFAULTS, type RedisTimeouts } from '@oidstream/scale-out/options';
import { positiveInt } from '../cli-values.js';

export interface RedisTimeoutFlags {
  redisTimeout?: string;
  redisCommandTimeout?: string;
}

/** Time limits for a Redis that accepts connections but does not answer (enqueue, worker, status). */
export function addRedisTimeoutOptions(cmd: Command): Command {
  return cmd
    .option('--redis-timeout <ms>', `give up when Redis has not connected and answered a PING within ms (default ${REDIS_TIMEOUT_DEFAULTS.readyTimeoutMs})`)
    .option('--redis-command-timeout <ms>', `give up on a Redis command after ms (default ${REDIS_TIMEOUT_DEFAULTS.commandTimeoutMs})`);
}

export function redisTimeouts(flags: RedisTimeoutFlags): RedisTimeouts {
  const ready = positiveInt('--redis-timeout', flags.redisTimeout);
  return {
    connectTimeoutMs: ready,
    readyTimeoutMs: ready,
    commandTimeoutMs: positiveInt('--redis-command-timeout', flags.redisCommandTimeout),
  };
}
