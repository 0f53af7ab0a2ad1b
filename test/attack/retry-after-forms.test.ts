import { attackPipeline } from '../support/attack-harness';
import { prospectCreate } from '../support/pipeline';

/**
 * Outreach's budget is smaller than the gate was told and it sends no rate-limit headers, so it answers 429 with a
 * Retry-After until its window resets; the simulator runs in penalty mode, so every request made before a cool-down
 * ends is counted (and extends it). Retry-After comes as an HTTP-date or as epoch seconds, both of one-second
 * resolution: the gate must still make no call during the cool-down, and every intent must succeed once the window
 * resets.
 */
const WINDOW_SECONDS = 20;
const FORMS = { 'http-date': 'u1', epoch: 'u2' } as const;

describe('attack: 429 + Retry-After in one-second forms, in penalty mode', () => {
  const attack = attackPipeline({
    users: ['u1', 'u2'],
    lanes: { bulk: { batchSize: 5, maxConcurrency: 4 } },
    budgetPerWindow: 1000,
    budgetWindowSeconds: WINDOW_SECONDS,
    clockSkewMs: 1000,
    maxFailureAttempts: 2,
    simulator: {
      budget: 4,
      rateLimitHeaders: false,
      windowSeconds: WINDOW_SECONDS,
      penalty: { enabled: true, initialWaitSeconds: 10, growthFactor: 1.5, maxWaitSeconds: 210 },
    },
  });

  it.each(Object.entries(FORMS))(
    'GIVEN Outreach announces its cool-downs as Retry-After %s WHEN %s has more intents than its budget THEN no call is made during a cool-down and every intent succeeds once',
    async (form, user) => {
      const { pipeline, sim } = attack;
      sim.configure({ retryAfter: form as keyof typeof FORMS });
      const intents = Array.from({ length: 8 }, (_, n) => ({
        ...prospectCreate(n + (user === 'u1' ? 0 : 100), 'bulk', user),
        id: `retry-after-${user}-${n}`,
      }));
      await pipeline.client.enqueueMany(intents);
      const results = await pipeline.settle(
        intents.map((i) => i.id),
        180_000,
      );
      const stats = sim.stats().users[user];
      console.log(
        `${form}: ${JSON.stringify({ byStatus: stats?.byStatus, cooldowns: stats?.cooldowns.map((c) => [c.reason, c.retryAfterHeader, c.waitMs]) })}`,
      );
      expect({
        statuses: results.map((r) => r.status),
        rateLimited: (stats?.status429 ?? 0) > 0,
        callsDuringCooldown: stats?.cooldowns.filter((c) => c.reason === 'penalty').length,
        created: stats?.byStatus['201'],
        duplicates: sim.stats().total.duplicatesCreated,
        deadLettered: pipeline.metrics.count('deadLettered'),
      }).toEqual({
        statuses: intents.map(() => 'succeeded'),
        rateLimited: true,
        callsDuringCooldown: 0,
        created: 8,
        duplicates: 0,
        deadLettered: 0,
      });
    },
    240_000,
  );
});
