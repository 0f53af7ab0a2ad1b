import { coalescingPipeline, drained, enrolment, enrolmentCounts, resend, seedProspects } from './coalescing-fixtures';

/**
 * Attacks by a hostile producer and a crowded gate: one intent id reused for another prospect inside one gathering
 * window, and many bulk actions followed at once under a small in-flight cap that Outreach enforces too.
 */
describe('bulk enrolments gathered into bulk actions: hostile producers and a small in-flight cap', () => {
  const coalescing = coalescingPipeline({
    settings: { inFlightCap: 2, criticalLeaseShare: 0.5 },
    restoreAfterEach: { concurrencyCap: null, faults: { latencyMs: 0 } },
  });

  it('GIVEN one intent id sent twice in one window with two different prospects WHEN gathered THEN only one of the prospects is enrolled, once', async () => {
    const { pipeline, sim, seed } = coalescing;
    const [first, second] = (await seedProspects(sim, seed, 2, 'conflict')) as [number, number];
    const intent = enrolment('conflict', first);
    await pipeline.client.enqueue(intent);
    await resend(pipeline, enrolment('conflict', second), 'conflict');
    const [result] = await drained(pipeline, ['conflict'], 120_000);
    const counts = await enrolmentCounts(sim, seed, [first, second]);
    expect({
      status: result?.status,
      enrolled: (counts[first] ?? 0) + (counts[second] ?? 0),
    }).toEqual({ status: 'succeeded', enrolled: 1 });
  }, 180_000);

  it('GIVEN enrolments into three sequences from two mailboxes and an in-flight cap of 2 WHEN their bulk actions are followed at once THEN Outreach never sees more than 2 requests of the user in flight', async () => {
    const { pipeline, sim, seed } = coalescing;
    const prospects = await seedProspects(sim, seed, 12, 'cap');
    sim.configure({ concurrencyCap: 2, faults: { latencyMs: 150 } });
    const intents = prospects.map((p, n) =>
      enrolment(`cap-${n}`, p, { sequenceId: 1 + (n % 3), mailboxId: 1 + (Math.floor(n / 3) % 2) }),
    );
    const peakBefore = sim.stats().users.u1?.peakInFlight ?? 0;
    await pipeline.client.enqueueMany(intents);
    const results = await drained(
      pipeline,
      intents.map((i) => i.id),
      150_000,
    );
    const u1 = sim.stats().users.u1;
    expect({
      statuses: [...new Set(results.map((r) => r.status))],
      peakInFlight: Math.max(peakBefore, u1?.peakInFlight ?? 0) <= 2,
      refusedForConcurrency: u1?.cooldowns.filter((c) => c.reason === 'concurrency').length,
    }).toEqual({ statuses: ['succeeded'], peakInFlight: true, refusedForConcurrency: 0 });
  }, 240_000);
});
