import { attackPipeline } from '../support/attack-harness';
import { prospectCreate } from '../support/pipeline';

/**
 * The token endpoint down while the access tokens have expired: the dispatcher cannot call Outreach at all, so
 * every intent must wait (not fail, not be dead-lettered) and succeed once when the endpoint answers again, with a
 * failure count of 2 that a count-only budget would spend at once. Outreach's clock runs 20×: access tokens live
 * 3 s, one mint per user every 3 s.
 */
const TIME_SCALE = 20;

describe('attack: the token endpoint down after the access tokens expired', () => {
  const attack = attackPipeline({
    users: ['u1'],
    timeScale: TIME_SCALE,
    lanes: { standard: { batchSize: 2, maxConcurrency: 4 } },
    simulator: { oauth: { accessTokenLifetimeSeconds: 60 } },
    maxFailureAttempts: 2,
  });

  it('GIVEN a token minted and expired WHEN the token endpoint answers 503 for 8 s while intents arrive THEN each waits and succeeds once, none dead-lettered', async () => {
    const { pipeline, sim } = attack;
    const warm = { ...prospectCreate(0, 'standard'), id: 'token-warm' };
    await pipeline.client.enqueue(warm);
    await pipeline.settle([warm.id], 60_000);
    // Let the access token expire (3 s real), then take the token endpoint down.
    await new Promise((resolve) => setTimeout(resolve, 4000));
    sim.configure({ faults: { tokenOutage: { durationMs: 8000 } } });
    const intents = Array.from({ length: 5 }, (_, n) => ({ ...prospectCreate(n + 1, 'standard'), id: `token-${n}` }));
    await pipeline.client.enqueueMany(intents);
    const results = await pipeline.settle(
      intents.map((i) => i.id),
      150_000,
    );
    const stats = sim.stats().total;
    console.log(
      `token outage: ${JSON.stringify({ oauth: stats.oauthByStatus, byStatus: stats.byStatus, failures: results.map((r) => r.failureAttempts) })}`,
    );
    expect({
      statuses: results.map((r) => r.status),
      sawTheOutage: (stats.oauthByStatus['503'] ?? 0) > 0,
      created: stats.byStatus['201'],
      duplicates: stats.duplicatesCreated,
      deadLettered: pipeline.metrics.count('deadLettered'),
    }).toEqual({
      statuses: intents.map(() => 'succeeded'),
      sawTheOutage: true,
      created: 6,
      duplicates: 0,
      deadLettered: 0,
    });
  }, 240_000);

  it('GIVEN the token endpoint stays down WHEN intents with a deadline 6 s ahead wait on it THEN each is dead-lettered as expired once its deadline passes, not held', async () => {
    const { pipeline, sim } = attack;
    // Let the access token expire (3 s real), then take the token endpoint down for far longer than the test.
    await new Promise((resolve) => setTimeout(resolve, 4000));
    sim.configure({ faults: { tokenOutage: { durationMs: 600_000 } } });
    try {
      const createdBefore = sim.stats().total.byStatus['201'] ?? 0;
      const deadline = new Date(Date.now() + 6000).toISOString();
      const intents = [10, 11].map((n) => ({ ...prospectCreate(n, 'standard'), id: `token-deadline-${n}`, deadline }));
      await pipeline.client.enqueueMany(intents);
      const results = await pipeline.settle(
        intents.map((i) => i.id),
        150_000,
      );
      console.log(`persistent token outage: ${JSON.stringify(results.map((r) => [r.status, r.deadLetterReason]))}`);
      expect({
        outcomes: results.map((r) => ({ status: r.status, reason: r.deadLetterReason })),
        created: (sim.stats().total.byStatus['201'] ?? 0) - createdBefore,
      }).toEqual({
        outcomes: intents.map(() => ({ status: 'dead-lettered', reason: 'expired' })),
        created: 0,
      });
    } finally {
      sim.configure({ faults: { tokenOutage: null } });
    }
  }, 240_000);
});
