/**
 * The clustered Bottleneck contender on a real `redis-server`: Redis starts and stops, services' groups share one
 * limiter per user through it, and the contender clears a small scenario. No timings asserted.
 */
import { createConnection } from 'node:net';
import Redis from 'ioredis';
import { limiterSizing } from '../../bench/contenders/bottleneck';
import { runBottleneckCluster, sharedLimiterGroup } from '../../bench/contenders/bottleneck-cluster';
import { type LocalRedis, startRedis } from '../../bench/redis';
import { scaleScenario } from '../../bench/scale';
import type { ContenderResult } from '../../bench/types';
import { buildScenario } from '../../local/scenarios';

/** Whether something accepts TCP connections on the port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('startRedis', () => {
  test('GIVEN a started redis-server WHEN pinged THEN PONG, and nothing is configured to persist', async () => {
    const redis = await startRedis();
    const client = new Redis({ host: redis.host, port: redis.port, maxRetriesPerRequest: 1 });
    try {
      const [pong, save, appendonly] = await Promise.all([
        client.ping(),
        client.config('GET', 'save'),
        client.config('GET', 'appendonly'),
      ]);
      expect({ pong, save, appendonly }).toEqual({
        pong: 'PONG',
        save: ['save', ''],
        appendonly: ['appendonly', 'no'],
      });
    } finally {
      client.disconnect();
      await redis.stop();
    }
  });

  test('GIVEN a started redis-server WHEN stopped THEN its port no longer accepts connections', async () => {
    const redis = await startRedis();
    await redis.stop();
    expect(await accepts(redis.port)).toBe(false);
  });

  test('GIVEN a binary that cannot run WHEN started THEN the error names it and how to install Redis', async () => {
    await expect(startRedis({ binary: '/nonexistent/redis-server' })).rejects.toThrow(
      /\/nonexistent\/redis-server cannot be run; install Redis/,
    );
  });
});

describe('sharedLimiterGroup', () => {
  let redis: LocalRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis.stop());

  test('GIVEN two services with a reservoir of 3 per user WHEN each asks for 3 THEN only 3 run in all: one shared limiter', async () => {
    const sizing = {
      reservoir: 3,
      reservoirRefreshAmount: 3,
      reservoirRefreshInterval: 3_600_000,
      maxConcurrent: 10,
      minTime: 0,
    };
    const services = [sharedLimiterGroup(redis, sizing), sharedLimiterGroup(redis, sizing)];
    let ran = 0;
    const jobs = services.flatMap((group) =>
      [1, 2, 3].map(() =>
        group
          .key('u1')
          .schedule(async () => {
            ran += 1;
          })
          .catch(() => undefined),
      ),
    );
    try {
      // Wait until the shared reservoir is spent and reads 0 in Redis, then count what ran.
      const limiter = services[0]?.key('u1');
      for (let i = 0; i < 100 && (await limiter?.currentReservoir()) !== 0; i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(ran).toBe(3);
    } finally {
      for (const group of services) {
        for (const { limiter } of group.limiters())
          await limiter.stop({ dropWaitingJobs: true }).catch(() => undefined);
        await group.disconnect(false);
      }
      await Promise.all(jobs);
    }
  });
});

describe('runBottleneckCluster', () => {
  let result: ContenderResult;
  beforeAll(async () => {
    const scenario = scaleScenario(buildScenario('smoke'), 8);
    result = await runBottleneckCluster(scenario, { maxWallMs: 60_000 });
  }, 90_000);

  test('GIVEN the smoke scenario scaled down WHEN the contender runs THEN every intent succeeded, none lost or doubled', () => {
    expect(result).toMatchObject({ contender: 'bottleneck-cluster', lost: 0, failed: 0, duplicatesCreated: 0 });
    expect(result.succeeded).toBe(result.intents);
  });

  test('GIVEN the run WHEN its scorecard is read THEN every producer finished and the time to clear is the clearance', () => {
    expect(Object.keys(result.scorecard.producerFinishMs ?? {}).sort()).toEqual([
      'crm-import',
      'crm-sync',
      'sequencer',
    ]);
    expect(result.scorecard.timeToClearMs).toBe(result.clearanceMs);
  });

  test('GIVEN the sizing WHEN the services share it THEN the whole budget and cap are one limiter, not a share each', () => {
    const scenario = scaleScenario(buildScenario('smoke'), 8);
    expect(limiterSizing(scenario, 1)).toMatchObject({
      reservoir: scenario.settings.budgetPerWindow,
      maxConcurrent: scenario.settings.inFlightCap,
    });
  });
});
