/**
 * The bottleneck-cluster contender: what teams reach for after per-service limiters. Every service keeps its own
 * `bottleneck` group, but in Bottleneck's clustering mode (`datastore: 'ioredis'`) on one Redis, with the same
 * group id everywhere, so all services share ONE limiter per user: the whole budget as its reservoir, refreshed
 * every window, the whole in-flight cap as `maxConcurrent` and an even pace (`minTime` = window ÷ budget). Retries
 * go through the limiter like the per-service contender's. Redis is started for the run and stopped after it.
 */
import Bottleneck from 'bottleneck';
import type { Scenario } from '../../local/scenarios';
import { startRedis } from '../redis';
import type { ContenderResult } from '../types';
import { type LimiterSizing, limiterSizing, runWithBottleneck } from './bottleneck';
import type { DirectRunOptions } from './naive';

/** The group id every service uses, so each user's limiter (`<id>-<user>`) is the same one in Redis. */
export const SHARED_GROUP_ID = 'outreach';

/**
 * A service's limiter group in clustering mode: its own connection to `redis`, the shared group id, so the limiter
 * of each user is the one every other service uses too; the Redis state is kept, never cleared, on connect.
 */
export function sharedLimiterGroup(redis: { readonly host: string; readonly port: number }, sizing: LimiterSizing) {
  return new Bottleneck.Group({
    ...sizing,
    id: SHARED_GROUP_ID,
    datastore: 'ioredis',
    clientOptions: { host: redis.host, port: redis.port },
    clearDatastore: false,
  });
}

/** Runs the bottleneck-cluster contender on a fresh simulator and a fresh Redis. */
export async function runBottleneckCluster(scenario: Scenario, options: DirectRunOptions): Promise<ContenderResult> {
  const redis = await startRedis();
  try {
    // One limiter per user for everyone: sized for the whole budget and cap, as if there were one service.
    const sizing = limiterSizing(scenario, 1);
    return await runWithBottleneck(scenario, options, {
      contender: 'bottleneck-cluster',
      group: () => sharedLimiterGroup(redis, sizing),
      describe: (service, intents) =>
        `bottleneck-cluster: service ${service} with ${intents} intents, shared limiter per user on redis ${redis.host}:${redis.port} ${JSON.stringify(sizing)}`,
    });
  } finally {
    await redis.stop();
  }
}
