import { attackPipeline, waitUntil } from '../support/attack-harness';
import { prospectCreate } from '../support/pipeline';

/**
 * "Waiting is never failing", attacked from the outside on the whole local pipeline: faults that heal well inside
 * `failureWindowSeconds` (compressed with Outreach's clock, as `npm run chaos` does) must lose nothing, perform
 * nothing twice, make no call during a cool-down and dead-letter nothing, even with a failure count of 2 that a
 * count-only budget would spend within seconds. Two users, so a fault of one user can be seen not to hold the other.
 */
const TIME_SCALE = 20;

describe('attack: faults that heal inside the failure window are waited out', () => {
  const attack = attackPipeline({
    users: ['u1', 'u2'],
    timeScale: TIME_SCALE,
    lanes: { standard: { batchSize: 2, maxConcurrency: 4 } },
    simulator: { penalty: { enabled: true, initialWaitSeconds: 10, growthFactor: 1.5, maxWaitSeconds: 210 } },
    maxFailureAttempts: 2,
    failureWindowSeconds: 3600,
    circuitBreakerThreshold: 3,
  });
  let batch = 0;

  /** `count` fresh create intents per user, on the standard lane. */
  function intentsFor(user: string, count: number) {
    batch += 1;
    return Array.from({ length: count }, (_, n) => ({
      ...prospectCreate(batch * 100 + n, 'standard', user),
      id: `attack-${user}-${batch}-${n}`,
    }));
  }

  /** What the simulator and the dispatcher saw, to compare before and after a step. */
  function tally() {
    const { pipeline, sim } = attack;
    const total = sim.stats().total;
    return {
      created: total.byStatus['201'] ?? 0,
      duplicates: total.duplicatesCreated,
      callsDuringCooldown: Object.values(sim.stats().users).reduce(
        (sum, user) => sum + user.cooldowns.filter((c) => c.reason === 'penalty').length,
        0,
      ),
      deadLettered: pipeline.metrics.count('deadLettered'),
      deferrals: pipeline.metrics.count('deferral'),
    };
  }

  /** What a step changed: prospects created, created twice and dead-lettered; calls during a cool-down, all told. */
  function changes(before: ReturnType<typeof tally>, after: ReturnType<typeof tally>) {
    return {
      created: after.created - before.created,
      duplicates: after.duplicates - before.duplicates,
      deadLettered: after.deadLettered - before.deadLettered,
      callsDuringCooldown: after.callsDuringCooldown,
    };
  }

  it('GIVEN u1 is revoked in Outreach while u2 is healthy WHEN both have intents THEN u2 is not held back and u1 waits without failing', async () => {
    const { pipeline, sim } = attack;
    const before = tally();
    sim.revokeUser('u1');
    const forU1 = intentsFor('u1', 4);
    const forU2 = intentsFor('u2', 4);
    await pipeline.client.enqueueMany([...forU1, ...forU2]);
    const u2 = await pipeline.settle(
      forU2.map((i) => i.id),
      60_000,
    );
    const u1 = await pipeline.readResults(forU1.map((i) => i.id));
    console.log(`revoked: ${JSON.stringify({ u2: u2.map((r) => r.status), u1: u1.map((r) => r.status) })}`);
    expect({
      u2: u2.map((r) => r.status),
      u1Open: u1.filter((r) => r.status !== 'succeeded' && r.status !== 'dead-lettered').length,
      u1FailuresCounted: u1.reduce((sum, r) => sum + r.failureAttempts, 0),
      deadLettered: tally().deadLettered - before.deadLettered,
    }).toEqual({ u2: forU2.map(() => 'succeeded'), u1Open: 4, u1FailuresCounted: 0, deadLettered: 0 });
  }, 120_000);

  it('GIVEN u1 waited on revoked credentials WHEN a new refresh token is put in its secret THEN every u1 intent succeeds once and none is dead-lettered', async () => {
    const { pipeline, sim } = attack;
    const before = tally();
    await pipeline.setRefreshToken('u1', sim.authorize('u1'));
    const ids = Array.from({ length: 4 }, (_, n) => `attack-u1-1-${n}`);
    const results = await pipeline.settle(ids, 120_000);
    const after = tally();
    console.log(`re-authorised: ${JSON.stringify({ statuses: results.map((r) => r.status), before, after })}`);
    expect({
      statuses: results.map((r) => r.status),
      ...changes(before, after),
    }).toEqual({
      statuses: ids.map(() => 'succeeded'),
      created: 4,
      duplicates: 0,
      deadLettered: 0,
      callsDuringCooldown: 0,
    });
  }, 180_000);

  it.each(['http-date', 'epoch'] as const)(
    'GIVEN Outreach answers 503 + Retry-After (%s) for a few seconds WHEN intents of both users arrive THEN all succeed once and none is dead-lettered',
    async (retryAfter) => {
      const { pipeline, sim } = attack;
      const before = tally();
      sim.configure({ retryAfter, faults: { maintenance: { durationMs: 4000 } } });
      const intents = [...intentsFor('u1', 3), ...intentsFor('u2', 3)];
      await pipeline.client.enqueueMany(intents);
      const results = await pipeline.settle(
        intents.map((i) => i.id),
        120_000,
      );
      const after = tally();
      const refused = sim.stats().total.byStatus['503'] ?? 0;
      console.log(`maintenance ${retryAfter}: ${JSON.stringify({ refused, before, after })}`);
      expect({
        statuses: results.map((r) => r.status),
        ...changes(before, after),
        sawTheOutage: refused > 0,
      }).toEqual({
        statuses: intents.map(() => 'succeeded'),
        created: 6,
        duplicates: 0,
        deadLettered: 0,
        callsDuringCooldown: 0,
        sawTheOutage: true,
      });
    },
    180_000,
  );

  it('GIVEN three 429s in a row without any header WHEN intents arrive THEN the cool-down stays bounded, work resumes and every intent succeeds once', async () => {
    const { pipeline, sim } = attack;
    const before = tally();
    const before429 = sim.stats().total.status429;
    sim.configure({ faults: { bare429Next: 3 } });
    const intents = intentsFor('u1', 4);
    await pipeline.client.enqueueMany(intents);
    const results = await pipeline.settle(
      intents.map((i) => i.id),
      150_000,
    );
    const after = tally();
    console.log(`bare 429s: ${JSON.stringify({ status429: sim.stats().total.status429 - before429, before, after })}`);
    expect({
      statuses: results.map((r) => r.status),
      bare429sUsed: sim.stats().config.faults.bare429Next,
      ...changes(before, after),
    }).toEqual({
      statuses: intents.map(() => 'succeeded'),
      bare429sUsed: 0,
      created: 4,
      duplicates: 0,
      deadLettered: 0,
      callsDuringCooldown: 0,
    });
  }, 180_000);

  it('GIVEN valid access tokens WHEN the token endpoint is down THEN no intent even waits: all succeed with no deferral', async () => {
    const { pipeline, sim } = attack;
    // Let any cool-down of the previous step run out before measuring deferrals.
    await waitUntil(
      'no user cooling down',
      () => Object.values(sim.stats().users).every((u) => (u.cooldownUntil ?? 0) < Date.now()),
      60_000,
    );
    const before = tally();
    sim.configure({ faults: { tokenOutage: { durationMs: 120_000 } } });
    try {
      const intents = [...intentsFor('u1', 3), ...intentsFor('u2', 3)];
      await pipeline.client.enqueueMany(intents);
      const results = await pipeline.settle(
        intents.map((i) => i.id),
        60_000,
      );
      const after = tally();
      console.log(`token endpoint down: ${JSON.stringify({ before, after, oauth: sim.stats().total.oauthByStatus })}`);
      expect({
        statuses: results.map((r) => r.status),
        deferrals: after.deferrals - before.deferrals,
        deadLettered: after.deadLettered - before.deadLettered,
      }).toEqual({ statuses: intents.map(() => 'succeeded'), deferrals: 0, deadLettered: 0 });
    } finally {
      sim.configure({ faults: { tokenOutage: null } });
    }
  }, 120_000);
});
