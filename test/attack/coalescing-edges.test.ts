import {
  batchesFor,
  coalescingPipeline,
  enrolment,
  enrolmentCounts,
  letterOf,
  once,
  seedProspects,
  takeDeadLetters,
} from './coalescing-fixtures';

/**
 * Edge attacks with the bulk lane driven by hand: one invocation's enrolments gathered into one bulk action, two
 * intents enrolling the same prospect in one window (Outreach refusing the second enrolment, as it does), and
 * invocations with too little time left to follow a bulk action.
 * Completion events are on: each settled intent must publish exactly one.
 */
describe('bulk enrolments gathered into bulk actions: edges', () => {
  const coalescing = coalescingPipeline({
    settings: { completionEvents: true },
    byHand: true,
    restoreAfterEach: { resources: { duplicateSequenceState: 'create' } },
  });

  const eventsOf = (ids: readonly string[]) =>
    Object.fromEntries(
      ids.map((id) => [id, coalescing.pipeline.completions.events.filter((e) => e.detail.id === id).length]),
    );

  it('GIVEN ten enrolments received in one batch WHEN one invocation handles them THEN one bulk action enrols all ten, with fewer requests than enrolments', async () => {
    const { pipeline, driver, sim, seed } = coalescing;
    const prospects = await seedProspects(sim, seed, 10, 'together');
    const intents = prospects.map((p, n) => enrolment(`together-${n}`, p));
    await pipeline.client.enqueueMany(intents);
    const messages = [];
    for (let tries = 0; messages.length < intents.length && tries < 20; tries++) {
      messages.push(...(await driver.receive('bulk', intents.length - messages.length)));
    }
    const requestsBefore = sim.stats().users.u1?.requests ?? 0;
    await driver.invoke('bulk', messages);
    const requests = (sim.stats().users.u1?.requests ?? 0) - requestsBefore;
    const results = await pipeline.readResults(intents.map((i) => i.id));
    const batches = await batchesFor(sim, seed, prospects);
    expect({
      received: messages.length,
      statuses: [...new Set(results.map((r) => r.status))],
      bulkActions: batches.map((b) => b.total),
      fewerRequestsThanEnrolments: requests < intents.length,
      enrolments: await enrolmentCounts(sim, seed, prospects),
      events: eventsOf(intents.map((i) => i.id)),
    }).toEqual({
      received: 10,
      statuses: ['succeeded'],
      bulkActions: [10],
      fewerRequestsThanEnrolments: true,
      enrolments: once(prospects),
      events: Object.fromEntries(intents.map((i) => [i.id, 1])),
    });
  }, 120_000);

  it('GIVEN two intents enrolling one prospect in one window WHEN Outreach refuses a second enrolment THEN one succeeds, the other is dead-lettered with a reason, each from its own item', async () => {
    const { pipeline, sim, seed } = coalescing;
    sim.configure({ resources: { duplicateSequenceState: 'reject' } });
    const prospects = await seedProspects(sim, seed, 3, 'same');
    const [p0, p1, p2] = prospects as [number, number, number];
    const intents = [
      enrolment('same-a', p0),
      enrolment('same-b', p0),
      enrolment('same-c', p1),
      enrolment('same-d', p2),
    ];
    await pipeline.client.enqueueMany(intents);
    const ids = intents.map((i) => i.id);
    const results = await coalescing.driveUntilSettled(ids, 120_000);
    const letters = (await takeDeadLetters(pipeline)).map(letterOf).filter((l) => l.intentId?.startsWith('same-'));
    const onP0 = results.slice(0, 2);
    expect({
      onP0: onP0.map((r) => r.status).sort(),
      letters: letters.map((l) => [l.intentId, Boolean(l.reason)]),
      deadLetteredIsTheOneLettered: letters[0]?.intentId === onP0.find((r) => r.status === 'dead-lettered')?.id,
      others: results.slice(2).map((r) => r.status),
      distinctStates: new Set(results.filter((r) => r.status === 'succeeded').map((r) => r.result?.resourceId)).size,
      enrolments: await enrolmentCounts(sim, seed, prospects),
      events: eventsOf(ids),
    }).toEqual({
      onP0: ['dead-lettered', 'succeeded'],
      letters: [[expect.stringMatching(/^same-[ab]$/), true]],
      deadLetteredIsTheOneLettered: true,
      others: ['succeeded', 'succeeded'],
      distinctStates: 3,
      enrolments: once(prospects),
      events: Object.fromEntries(ids.map((id) => [id, 1])),
    });
  }, 180_000);

  it('GIVEN invocations with barely enough time for one upstream request WHEN they gather and follow a bulk action THEN every intent settles, each prospect enrolled once, one completion event each', async () => {
    const { pipeline, sim, seed } = coalescing;
    const prospects = await seedProspects(sim, seed, 4, 'short');
    const intents = prospects.map((p, n) => enrolment(`short-${n}`, p));
    await pipeline.client.enqueueMany(intents);
    const ids = intents.map((i) => i.id);
    // The upstream timeout (1 s) plus the 2 s settle margin, and half a second more.
    const results = await coalescing.driveUntilSettled(ids, 150_000, { invocationMs: 3500 });
    const letters = (await takeDeadLetters(pipeline)).map(letterOf).filter((l) => l.intentId?.startsWith('short-'));
    expect({
      open: results.filter((r) => r.status !== 'succeeded' && r.status !== 'dead-lettered').map((r) => r.id),
      deadLetteredWithoutLetter: results
        .filter((r) => r.status === 'dead-lettered')
        .filter((r) => !letters.some((l) => l.intentId === r.id && l.reason))
        .map((r) => r.id),
      enrolments: await enrolmentCounts(sim, seed, prospects),
      events: eventsOf(ids),
    }).toEqual({
      open: [],
      deadLetteredWithoutLetter: [],
      enrolments: once(prospects),
      events: Object.fromEntries(ids.map((id) => [id, 1])),
    });
  }, 240_000);
});
