import { api, enrolBody } from '../outreach-sim/helpers';
import {
  batchesFor,
  COALESCING_SETTINGS,
  coalescingPipeline,
  drained,
  enrolment,
  enrolmentCounts,
  letterOf,
  seedProspects,
  statusesOf,
  takeDeadLetters,
  until,
} from './coalescing-fixtures';

/**
 * Attacks on gathered bulk enrolments by an unlucky Outreach: the bulk action answered with a 5xx, polls of a
 * running batch failing, one item refused, a 429 in the middle of following a batch. Every intent must end
 * succeeded or in the bulk DLQ with a reason, no prospect enrolled twice, and nobody calls during a cool-down.
 */
describe('bulk enrolments gathered into bulk actions: Outreach misbehaving', () => {
  const coalescing = coalescingPipeline({
    restoreAfterEach: {
      rateLimitHeaders: true,
      budget: 10_000,
      windowSeconds: 3600,
      penalty: { enabled: false },
      resources: { duplicateSequenceState: 'create' },
      batches: COALESCING_SETTINGS.simulator.batches,
      faults: { errorBurst: null, errorRate: 0 },
    },
  });

  it('GIVEN the bulk action is answered 503 WHEN its members settle THEN each is succeeded or dead-lettered with a reason and none is enrolled twice', async () => {
    const { pipeline, sim, seed } = coalescing;
    const prospects = await seedProspects(sim, seed, 4, 'post-503');
    const intents = prospects.map((p, n) => enrolment(`post-503-${n}`, p));
    sim.configure({ faults: { errorBurst: { status: 503, count: 1 } } });
    await pipeline.client.enqueueMany(intents);
    const results = await drained(
      pipeline,
      intents.map((i) => i.id),
      120_000,
    );
    const letters = (await takeDeadLetters(pipeline)).map(letterOf);
    const deadLettered = results.filter((r) => r.status === 'dead-lettered').map((r) => r.id);
    const counts = Object.values(await enrolmentCounts(sim, seed, prospects));
    expect({
      faultFired: sim.stats().total.byStatus['503'] === 1,
      open: results.filter((r) => r.status !== 'succeeded' && r.status !== 'dead-lettered').map((r) => r.id),
      succeededWithState: results
        .filter((r) => r.status === 'succeeded')
        .every((r) => r.result?.resourceType === 'sequenceState' && r.result.resourceId !== undefined),
      lettersOfDeadLettered: letters
        .filter((l) => l.intentId !== undefined && deadLettered.includes(l.intentId))
        .map((l) => l.intentId)
        .sort(),
      lettersWithoutReason: letters.filter((l) => !l.reason).length,
      enrolledTwice: counts.filter((n) => n > 1).length,
    }).toEqual({
      faultFired: true,
      open: [],
      succeededWithState: true,
      lettersOfDeadLettered: [...deadLettered].sort(),
      lettersWithoutReason: 0,
      enrolledTwice: 0,
    });
  }, 180_000);

  it('GIVEN a running bulk action WHEN every poll of it fails with 503 for a while THEN each member ends succeeded or dead-lettered and none is enrolled twice', async () => {
    const { pipeline, sim, seed } = coalescing;
    sim.configure({ batches: { startDelaySeconds: 3, secondsPerItem: 0.05 } });
    const prospects = await seedProspects(sim, seed, 5, 'polls-503');
    const intents = prospects.map((p, n) => enrolment(`polls-503-${n}`, p));
    await pipeline.client.enqueueMany(intents);
    const posted = await until(async () => (await batchesFor(sim, seed, prospects)).length > 0, 60_000);
    const failedBefore = sim.stats().total.byStatus['503'] ?? 0;
    sim.configure({ faults: { errorRate: 1, errorRateStatus: 503 } });
    await new Promise((resolve) => setTimeout(resolve, 4000));
    sim.configure({ faults: { errorRate: 0 } });
    const pollsFailed = (sim.stats().total.byStatus['503'] ?? 0) - failedBefore;
    const results = await drained(
      pipeline,
      intents.map((i) => i.id),
      150_000,
    );
    const letters = (await takeDeadLetters(pipeline)).map(letterOf);
    const deadLettered = results.filter((r) => r.status === 'dead-lettered').map((r) => r.id);
    const counts = Object.values(await enrolmentCounts(sim, seed, prospects));
    expect({
      posted,
      pollsFailed: pollsFailed > 0,
      open: results.filter((r) => r.status !== 'succeeded' && r.status !== 'dead-lettered').map((r) => r.id),
      lettersOfDeadLettered: letters
        .filter((l) => l.intentId !== undefined && deadLettered.includes(l.intentId))
        .map((l) => l.intentId)
        .sort(),
      enrolledTwice: counts.filter((n) => n > 1).length,
    }).toEqual({
      posted: true,
      pollsFailed: true,
      open: [],
      lettersOfDeadLettered: [...deadLettered].sort(),
      enrolledTwice: 0,
    });
  }, 240_000);

  it('GIVEN one prospect already active in the sequence WHEN it is enrolled with others in one bulk action THEN it alone is dead-lettered with Outreach’s error', async () => {
    const { pipeline, sim, seed } = coalescing;
    sim.configure({ resources: { duplicateSequenceState: 'reject' } });
    const prospects = await seedProspects(sim, seed, 4, 'active');
    const active = prospects[0] as number;
    const direct = await api(sim, seed, 'POST', '/sequenceStates', enrolBody(active, 1, 1));
    const intents = prospects.map((p, n) => enrolment(`active-${n}`, p));
    await pipeline.client.enqueueMany(intents);
    const results = await drained(
      pipeline,
      intents.map((i) => i.id),
      120_000,
    );
    const letters = (await takeDeadLetters(pipeline)).map(letterOf).filter((l) => l.intentId?.startsWith('active-'));
    expect({
      enrolledBefore: direct.status,
      statuses: statusesOf(results),
      error: results[0]?.lastError?.outreachErrorId,
      letters,
      enrolments: await enrolmentCounts(sim, seed, prospects),
    }).toEqual({
      enrolledBefore: 201,
      statuses: {
        'active-0': 'dead-lettered',
        'active-1': 'succeeded',
        'active-2': 'succeeded',
        'active-3': 'succeeded',
      },
      error: 'validationError',
      letters: [{ intentId: 'active-0', reason: 'rejected' }],
      enrolments: Object.fromEntries(prospects.map((p) => [p, 1])),
    });
  }, 180_000);

  it('GIVEN a user whose budget runs out while its bulk action is followed WHEN Outreach answers 429 with Retry-After THEN nobody calls during the cool-down and every member succeeds', async () => {
    const { pipeline, sim, seed } = coalescing;
    const prospects = await seedProspects(sim, seed, 4, 'cooldown');
    const intents = prospects.map((p, n) => enrolment(`cooldown-${n}`, p, { user: 'u2' }));
    sim.configure({
      // No rate-limit headers: the gate cannot see the budget running out and meets the 429 itself. One request
      // per 10 s window: the POST spends it, so the first read of the items (a second later) is always refused.
      rateLimitHeaders: false,
      budget: 1,
      windowSeconds: 10,
      penalty: { enabled: true, initialWaitSeconds: 2, maxWaitSeconds: 20 },
      batches: { startDelaySeconds: 1, secondsPerItem: 0.05 },
    });
    await pipeline.client.enqueueMany(intents);
    const results = await drained(
      pipeline,
      intents.map((i) => i.id),
      150_000,
    );
    const u2 = sim.stats().users.u2;
    sim.configure({ rateLimitHeaders: true, budget: 10_000, windowSeconds: 3600, penalty: { enabled: false } });
    expect({
      limited: (u2?.status429 ?? 0) > 0,
      callsDuringCooldown: u2?.cooldowns.filter((c) => c.reason === 'penalty').length,
      statuses: statusesOf(results),
      enrolments: await enrolmentCounts(sim, seed, prospects),
    }).toEqual({
      limited: true,
      callsDuringCooldown: 0,
      statuses: Object.fromEntries(intents.map((i) => [i.id, 'succeeded'])),
      enrolments: Object.fromEntries(prospects.map((p) => [p, 1])),
    });
  }, 240_000);
});
