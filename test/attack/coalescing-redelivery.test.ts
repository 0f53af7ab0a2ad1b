import {
  COALESCING_SETTINGS,
  coalescingPipeline,
  enrolment,
  enrolmentCounts,
  letterOf,
  once,
  seedProspects,
  takeDeadLetters,
} from './coalescing-fixtures';

/**
 * Attacks on exactly-once enrolment by an unlucky AWS, with the bulk lane driven by hand as the event source
 * mapping would: the same records handed to two dispatchers at once, parked members delivered again long before
 * their park ends, and a member dead-lettered after an ambiguous bulk action redriven from its DLQ.
 */
describe('bulk enrolments gathered into bulk actions: messages delivered more than once', () => {
  const coalescing = coalescingPipeline({
    // Every delivery in this file is made by hand.
    byHand: true,
    restoreAfterEach: {
      batches: COALESCING_SETTINGS.simulator.batches,
      faults: { resetNext: 0, resetPhase: 'before' },
    },
  });

  it('GIVEN the same enrolment records WHEN two dispatchers handle them at once THEN each prospect is enrolled once and every intent succeeds', async () => {
    const { pipeline, sim, seed, driver } = coalescing;
    const prospects = await seedProspects(sim, seed, 5, 'twice');
    const intents = prospects.map((p, n) => enrolment(`twice-${n}`, p));
    await pipeline.client.enqueueMany(intents);
    const messages = await driver.receive('bulk');
    await Promise.all([driver.invoke('bulk', messages), driver.invoke('bulk', messages)]);
    const results = await coalescing.driveUntilSettled(
      intents.map((i) => i.id),
      120_000,
    );
    expect({
      delivered: messages.length,
      statuses: [...new Set(results.map((r) => r.status))],
      enrolments: await enrolmentCounts(sim, seed, prospects),
    }).toEqual({ delivered: 5, statuses: ['succeeded'], enrolments: once(prospects) });
  }, 180_000);

  it('GIVEN enrolments parked in a slow bulk action WHEN their messages are delivered again at once, again and again THEN each prospect is enrolled once', async () => {
    const { pipeline, sim, seed } = coalescing;
    sim.configure({ batches: { startDelaySeconds: 3, secondsPerItem: 0.2 } });
    const prospects = await seedProspects(sim, seed, 5, 'early');
    const intents = prospects.map((p, n) => enrolment(`early-${n}`, p));
    await pipeline.client.enqueueMany(intents);
    const results = await coalescing.driveUntilSettled(
      intents.map((i) => i.id),
      120_000,
      { revive: true },
    );
    const letters = (await takeDeadLetters(pipeline)).map(letterOf).filter((l) => l.intentId?.startsWith('early-'));
    expect({
      open: results.filter((r) => r.status !== 'succeeded' && r.status !== 'dead-lettered').map((r) => r.id),
      lettersWithoutReason: letters.filter((l) => !l.reason).length,
      enrolments: await enrolmentCounts(sim, seed, prospects),
    }).toEqual({ open: [], lettersWithoutReason: 0, enrolments: once(prospects) });
  }, 180_000);

  it('GIVEN a bulk action performed but its answer lost WHEN on-call redrives its dead-lettered members THEN each prospect is enrolled once', async () => {
    const { pipeline, sim, seed, driver } = coalescing;
    const prospects = await seedProspects(sim, seed, 4, 'lost');
    const intents = prospects.map((p, n) => enrolment(`lost-${n}`, p));
    // The next API request, the bulk action, is performed and then its connection is reset.
    sim.configure({ faults: { resetNext: 1, resetPhase: 'after' } });
    await pipeline.client.enqueueMany(intents);
    const first = await coalescing.driveUntilSettled(
      intents.map((i) => i.id),
      120_000,
    );
    const copies = (await takeDeadLetters(pipeline)).filter((m) => letterOf(m).intentId?.startsWith('lost-'));
    await driver.redrive('bulk', copies);
    const second = await coalescing.driveUntilSettled(
      intents.map((i) => i.id),
      120_000,
    );
    expect({
      resetFired: (sim.stats().total.byStatus.reset ?? 0) > 0,
      firstOpen: first.filter((r) => r.status !== 'succeeded' && r.status !== 'dead-lettered').map((r) => r.id),
      secondOpen: second.filter((r) => r.status !== 'succeeded' && r.status !== 'dead-lettered').map((r) => r.id),
      enrolments: await enrolmentCounts(sim, seed, prospects),
    }).toEqual({ resetFired: true, firstOpen: [], secondOpen: [], enrolments: once(prospects) });
  }, 300_000);
});
