import {
  batchesFor,
  COALESCING_SETTINGS,
  coalescingPipeline,
  drained,
  enrolment,
  enrolmentCounts,
  letterOf,
  seedProspects,
  takeDeadLetters,
  until,
} from './coalescing-fixtures';

/**
 * Attacks on "never lost" by an Outreach whose bulk actions misbehave: an item missing from the batch's item
 * listing, and a batch that never finishes. Every intent must end succeeded (with its sequence state) or in the
 * bulk DLQ with a reason, and no prospect may be enrolled twice.
 */
describe('bulk enrolments gathered into bulk actions: never lost', () => {
  const coalescing = coalescingPipeline({
    restoreAfterEach: { batches: { ...COALESCING_SETTINGS.simulator.batches, unlistedProspects: [] } },
  });

  /** What "settled, never lost, never twice" looks like for `ids` enrolling `prospects`. */
  async function outcome(ids: readonly string[], prospects: readonly number[], timeoutMs: number) {
    const { pipeline, sim, seed } = coalescing;
    const results = await drained(pipeline, ids, timeoutMs);
    const letters = (await takeDeadLetters(pipeline)).map(letterOf);
    const deadLettered = results.filter((r) => r.status === 'dead-lettered').map((r) => r.id);
    const counts = await enrolmentCounts(sim, seed, prospects);
    return {
      results,
      open: results.filter((r) => r.status !== 'succeeded' && r.status !== 'dead-lettered').map((r) => r.id),
      succeededWithoutState: results
        .filter((r) => r.status === 'succeeded' && r.result?.resourceType !== 'sequenceState')
        .map((r) => r.id),
      deadLetteredWithoutLetter: deadLettered.filter((id) => !letters.some((l) => l.intentId === id && l.reason)),
      enrolledTwice: Object.entries(counts)
        .filter(([, n]) => n > 1)
        .map(([p]) => Number(p)),
    };
  }

  it('GIVEN a bulk action whose item listing leaves one member’s item out WHEN its members settle THEN each ends succeeded or dead-lettered with a reason, none twice', async () => {
    const { pipeline, sim, seed } = coalescing;
    const prospects = await seedProspects(sim, seed, 4, 'unlisted');
    sim.configure({ batches: { unlistedProspects: [prospects[2] as number] } });
    const intents = prospects.map((p, n) => enrolment(`unlisted-${n}`, p));
    await pipeline.client.enqueueMany(intents);
    const { results, ...seen } = await outcome(
      intents.map((i) => i.id),
      prospects,
      150_000,
    );
    expect({
      ...seen,
      listedSucceeded: results.filter((r) => r.id !== 'unlisted-2').map((r) => r.status),
    }).toEqual({
      open: [],
      succeededWithoutState: [],
      deadLetteredWithoutLetter: [],
      enrolledTwice: [],
      listedSucceeded: ['succeeded', 'succeeded', 'succeeded'],
    });
  }, 240_000);

  it('GIVEN a bulk action that never finishes WHEN its members have waited past their park THEN each ends succeeded or dead-lettered with a reason, none twice', async () => {
    const { pipeline, sim, seed } = coalescing;
    sim.configure({ batches: { startDelaySeconds: 1_000_000 } });
    const prospects = await seedProspects(sim, seed, 3, 'stuck');
    const intents = prospects.map((p, n) => enrolment(`stuck-${n}`, p));
    await pipeline.client.enqueueMany(intents);
    const posted = await until(async () => (await batchesFor(sim, seed, prospects)).length > 0, 60_000);
    const { results: _, ...seen } = await outcome(
      intents.map((i) => i.id),
      prospects,
      240_000,
    );
    expect({ posted, ...seen }).toEqual({
      posted: true,
      open: [],
      succeededWithoutState: [],
      deadLetteredWithoutLetter: [],
      enrolledTwice: [],
    });
  }, 360_000);
});
