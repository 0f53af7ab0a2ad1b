import { attackPipeline, waitUntil } from '../support/attack-harness';
import { prospectCreate } from '../support/pipeline';

/**
 * A revocation that lands while a user's intents are in flight, and a storm of header-less 429s longer than the
 * cool-down's escalation: each intent must still be performed exactly once, none dead-lettered, and work resume.
 * Outreach's clock runs 20× (token mint interval 3 s); the cool-down is 1 s, escalating to at most 4 s.
 */
const TIME_SCALE = 20;
const USERS = ['u1', 'u2'] as const;

describe('attack: a revocation mid-flight and a storm of header-less 429s', () => {
  const attack = attackPipeline({
    users: USERS,
    timeScale: TIME_SCALE,
    lanes: { bulk: { batchSize: 5, maxConcurrency: 4 } },
    // Only the token mint interval follows Outreach's clock: the cool-downs below are real seconds.
    config: (c) => ({ ...c, outreach: { ...c.outreach, minMintIntervalMs: 60_000 / TIME_SCALE } }),
    maxFailureAttempts: 2,
    defaultCooldownSeconds: 1,
    maxEscalatedCooldownSeconds: 4,
  });

  const { created } = attack;

  it('GIVEN u1 intents are being performed WHEN u1 is revoked mid-flight and re-authorised 2 s later THEN each is performed exactly once and none is dead-lettered', async () => {
    const { pipeline, sim } = attack;
    sim.configure({ faults: { latencyMs: 150 } });
    const intents = Array.from({ length: 12 }, (_, n) => ({ ...prospectCreate(n, 'bulk', 'u1'), id: `flight-${n}` }));
    const createdBefore = created();
    await pipeline.client.enqueueMany(intents);
    await waitUntil('the first creates', () => created() - createdBefore >= 2, 60_000, 50);
    sim.revokeUser('u1');
    const createdAtRevocation = created() - createdBefore;
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await pipeline.setRefreshToken('u1', sim.authorize('u1'));
    const results = await pipeline.settle(
      intents.map((i) => i.id),
      150_000,
    );
    sim.configure({ faults: { latencyMs: 0 } });
    const stats = sim.stats().total;
    console.log(
      `in-flight revocation: ${JSON.stringify({ createdAtRevocation, byStatus: stats.byStatus, oauth: stats.oauthByStatus })}`,
    );
    expect({
      statuses: results.map((r) => r.status),
      created: created() - createdBefore,
      duplicates: stats.duplicatesCreated,
      deadLettered: pipeline.metrics.count('deadLettered'),
    }).toEqual({ statuses: intents.map(() => 'succeeded'), created: 12, duplicates: 0, deadLettered: 0 });
  }, 240_000);

  it('GIVEN Outreach answers the next 8 requests 429 without any header WHEN intents of both users arrive THEN every 429 is used up, work resumes and each intent succeeds once', async () => {
    const { pipeline, sim } = attack;
    const intents = Array.from({ length: 6 }, (_, n) => ({
      ...prospectCreate(100 + n, 'bulk', USERS[n % 2]),
      id: `storm-${n}`,
    }));
    const createdBefore = created();
    const before429 = sim.stats().total.status429;
    sim.configure({ faults: { bare429Next: 8 } });
    await pipeline.client.enqueueMany(intents);
    const results = await pipeline.settle(
      intents.map((i) => i.id),
      180_000,
    );
    const stats = sim.stats().total;
    console.log(
      `429 storm: ${JSON.stringify({ status429: stats.status429 - before429, statuses: results.map((r) => r.status) })}`,
    );
    expect({
      statuses: results.map((r) => r.status),
      bare429sLeft: sim.stats().config.faults.bare429Next,
      created: created() - createdBefore,
      duplicates: stats.duplicatesCreated,
      deadLettered: pipeline.metrics.count('deadLettered'),
    }).toEqual({
      statuses: intents.map(() => 'succeeded'),
      bare429sLeft: 0,
      created: 6,
      duplicates: 0,
      deadLettered: 0,
    });
  }, 240_000);
});
