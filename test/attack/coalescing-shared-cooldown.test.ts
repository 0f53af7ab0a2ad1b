import { prospectCreate } from '../support/pipeline';
import {
  COALESCING_SETTINGS,
  coalescingPipeline,
  drained,
  enrolment,
  enrolmentCounts,
  once,
  seedProspects,
  statusesOf,
} from './coalescing-fixtures';

/**
 * One user's cool-down shared by single requests and bulk actions: standard-lane prospect creates of the user run
 * beside several of its bulk actions (two sequences, batches of 4), one request at a time, against a budget far too small for them, with
 * no rate-limit headers so the gate meets the 429s itself, and Outreach's penalty mode on (a request made during a
 * cool-down extends it). Whichever request meets the 429 sets the cool-down; nobody may call until it ends.
 */
describe('bulk enrolments gathered into bulk actions: a cool-down set by another caller', () => {
  const coalescing = coalescingPipeline({
    // One lease for the standard and bulk lanes: the user's requests go one at a time, so that none is in flight
    // when another meets the 429 (such a request could not be called back) and any call in a cool-down is the gate's.
    // A 429 without headers holds the user back 2 s.
    settings: {
      coalescing: { ...COALESCING_SETTINGS.coalescing, maxSize: 4 },
      inFlightCap: 2,
      criticalLeaseShare: 0.5,
      defaultCooldownSeconds: 2,
    },
    restoreAfterEach: {
      rateLimitHeaders: true,
      budget: 10_000,
      windowSeconds: 3600,
      penalty: { enabled: false },
      batches: COALESCING_SETTINGS.simulator.batches,
      faults: { bare429Next: 0 },
    },
  });

  it('GIVEN single creates and bulk actions of one user over a spent budget WHEN Outreach answers 429 to any of them THEN nobody calls during the cool-down, every intent succeeds and each prospect is enrolled once', async () => {
    const { pipeline, sim, seed } = coalescing;
    const prospects = await seedProspects(sim, seed, 16, 'shared-cooldown');
    const enrolments = prospects.map((p, n) =>
      enrolment(`shared-cooldown-${n}`, p, { user: 'u2', sequenceId: 1 + (n % 2) }),
    );
    const creates = Array.from({ length: 8 }, (_, n) => ({
      ...prospectCreate(9000 + n, 'standard', 'u2'),
      id: `shared-cooldown-create-${n}`,
    }));
    sim.configure({
      rateLimitHeaders: false,
      budget: 4,
      windowSeconds: 3,
      penalty: { enabled: true, initialWaitSeconds: 2, maxWaitSeconds: 20 },
      batches: { startDelaySeconds: 0.5, secondsPerItem: 0.05 },
    });
    await pipeline.client.enqueueMany([...enrolments, ...creates]);
    const results = await drained(
      pipeline,
      enrolments.map((i) => i.id),
      200_000,
    );
    const createResults = await drained(
      pipeline,
      creates.map((i) => i.id),
      100_000,
      'standard',
    );
    const u2 = sim.stats().users.u2;
    // The budget is every user's: the seed user reads what Outreach holds once it is back to normal.
    sim.configure({ rateLimitHeaders: true, budget: 10_000, windowSeconds: 3600, penalty: { enabled: false } });
    expect({
      limited: (u2?.status429 ?? 0) > 0,
      callsDuringCooldown: u2?.cooldowns.filter((c) => c.reason === 'penalty').length,
      statuses: statusesOf([...results, ...createResults]),
      enrolments: {
        ...(await enrolmentCounts(
          sim,
          seed,
          prospects.filter((_, n) => n % 2 === 0),
          1,
        )),
        ...(await enrolmentCounts(
          sim,
          seed,
          prospects.filter((_, n) => n % 2 === 1),
          2,
        )),
      },
      prospectsCreated: new Set(createResults.map((r) => r.result?.resourceId)).size,
    }).toEqual({
      limited: true,
      callsDuringCooldown: 0,
      statuses: Object.fromEntries([...enrolments, ...creates].map((i) => [i.id, 'succeeded'])),
      enrolments: once(prospects),
      prospectsCreated: creates.length,
    });
  }, 400_000);

  it('GIVEN Outreach answers the next requests 429 without any header WHEN bulk enrolments are gathered and their bulk action is posted and followed THEN each waits, none is dead-lettered, and each prospect is enrolled once', async () => {
    const { pipeline, sim, seed } = coalescing;
    const prospects = await seedProspects(sim, seed, 4, 'bare-429');
    const intents = prospects.map((p, n) => enrolment(`bare-429-${n}`, p));
    sim.configure({ faults: { bare429Next: 3 } });
    await pipeline.client.enqueueMany(intents);
    const results = await drained(
      pipeline,
      intents.map((i) => i.id),
      200_000,
    );
    expect({
      refused: sim.configure({}).faults.bare429Next,
      statuses: statusesOf(results),
      enrolments: await enrolmentCounts(sim, seed, prospects),
    }).toEqual({
      refused: 0,
      statuses: Object.fromEntries(intents.map((i) => [i.id, 'succeeded'])),
      enrolments: once(prospects),
    });
  }, 300_000);
});
