import {
  batchesFor,
  COALESCING_SETTINGS,
  coalescingPipeline,
  drained,
  enrolment,
  enrolmentCounts,
  once,
  resend,
  seedProspects,
  statusesOf,
  until,
} from './coalescing-fixtures';

/**
 * Attacks on exactly-once enrolment through gathered bulk actions, from the outside: a producer re-sending an
 * intent with the same id before, while and after its bulk action runs. Outreach (the simulator) is asked how
 * many sequence states each prospect has; exactly once means one.
 */
describe('bulk enrolments gathered into bulk actions: a re-sent intent is never enrolled twice', () => {
  const coalescing = coalescingPipeline({ restoreAfterEach: { batches: COALESCING_SETTINGS.simulator.batches } });

  it('GIVEN enrolments that succeeded WHEN the producer re-sends each with the same id THEN no prospect is enrolled again and the results stay', async () => {
    const { pipeline, sim, seed } = coalescing;
    const prospects = await seedProspects(sim, seed, 4, 'after');
    const intents = prospects.map((p, n) => enrolment(`after-${n}`, p));
    await pipeline.client.enqueueMany(intents);
    const first = await drained(
      pipeline,
      intents.map((i) => i.id),
      60_000,
    );
    for (const intent of intents) await resend(pipeline, intent, 'after');
    const second = await drained(
      pipeline,
      intents.map((i) => i.id),
      60_000,
    );
    expect({
      first: statusesOf(first),
      sameResults: second.map((r) => r.result?.resourceId),
      enrolments: await enrolmentCounts(sim, seed, prospects),
    }).toEqual({
      first: Object.fromEntries(intents.map((i) => [i.id, 'succeeded'])),
      sameResults: first.map((r) => r.result?.resourceId),
      enrolments: once(prospects),
    });
  }, 150_000);

  it('GIVEN enrolments whose bulk action is running WHEN the producer re-sends each with the same id THEN each prospect is enrolled once', async () => {
    const { pipeline, sim, seed } = coalescing;
    sim.configure({ batches: { startDelaySeconds: 2, secondsPerItem: 0.5 } });
    const prospects = await seedProspects(sim, seed, 6, 'running');
    const intents = prospects.map((p, n) => enrolment(`running-${n}`, p));
    await pipeline.client.enqueueMany(intents);
    const posted = await until(async () => (await batchesFor(sim, seed, prospects)).length > 0, 30_000);
    for (const intent of intents) await resend(pipeline, intent, 'running');
    const results = await drained(
      pipeline,
      intents.map((i) => i.id),
      90_000,
    );
    expect({
      posted,
      statuses: statusesOf(results),
      enrolments: await enrolmentCounts(sim, seed, prospects),
    }).toEqual({
      posted: true,
      statuses: Object.fromEntries(intents.map((i) => [i.id, 'succeeded'])),
      enrolments: once(prospects),
    });
  }, 150_000);

  it('GIVEN enrolments gathering in a window WHEN the producer re-sends each with the same id before the bulk action is sent THEN each prospect is enrolled once', async () => {
    const { pipeline, sim, seed } = coalescing;
    const prospects = await seedProspects(sim, seed, 5, 'gathering');
    const intents = prospects.map((p, n) => enrolment(`gathering-${n}`, p));
    await pipeline.client.enqueueMany(intents);
    for (const intent of intents) await resend(pipeline, intent, 'gathering');
    const results = await drained(
      pipeline,
      intents.map((i) => i.id),
      90_000,
    );
    const batches = await batchesFor(sim, seed, prospects);
    expect({
      statuses: statusesOf(results),
      enrolments: await enrolmentCounts(sim, seed, prospects),
      itemsPerProspect: prospects.map((p) => batches.filter((b) => b.ids.includes(p)).length),
    }).toEqual({
      statuses: Object.fromEntries(intents.map((i) => [i.id, 'succeeded'])),
      enrolments: once(prospects),
      itemsPerProspect: prospects.map(() => 1),
    });
  }, 150_000);
});
