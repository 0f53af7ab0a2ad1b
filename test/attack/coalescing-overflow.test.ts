import { driveConcurrently } from './coalescing-concurrent-drive';
import {
  batchesFor,
  COALESCING_SETTINGS,
  coalescingPipeline,
  enrolment,
  enrolmentCounts,
  letterOf,
  once,
  seedProspects,
  statusesOf,
  takeDeadLetters,
} from './coalescing-fixtures';

/**
 * Attacks on full forming batches: many dispatcher invocations of one user, sequence and mailbox at once, with a
 * small `maxSize`, so that joiners find the forming batch full and open the key's next ones (several bulk actions
 * of one key forming and running at once), and more invocations than forming batches can take.
 */
describe('bulk enrolments gathered into bulk actions: full batches overflow into the next', () => {
  const coalescing = coalescingPipeline({
    settings: { coalescing: { ...COALESCING_SETTINGS.coalescing, maxSize: 3 } },
    byHand: true,
    restoreAfterEach: { resources: { duplicateSequenceState: 'create' } },
  });

  it('GIVEN 24 enrolments of one key received by 8 invocations at once WHEN batches of 3 fill THEN every intent succeeds, each prospect is enrolled once and no bulk action exceeds 3', async () => {
    const { pipeline, sim, seed } = coalescing;
    const prospects = await seedProspects(sim, seed, 24, 'overflow');
    const intents = prospects.map((p, n) => enrolment(`overflow-${n}`, p));
    await pipeline.client.enqueueMany(intents);
    const ids = intents.map((i) => i.id);
    const results = await driveConcurrently(coalescing.pipeline, coalescing.driver, ids, {
      invocations: 8,
      perInvocation: 3,
    });
    const batches = await batchesFor(sim, seed, prospects);
    const inBatches = batches.flatMap((b) => b.ids);
    expect({
      statuses: statusesOf(results),
      distinctStates: new Set(results.map((r) => r.result?.resourceId)).size,
      enrolments: await enrolmentCounts(sim, seed, prospects),
      largestBatchFits: batches.every((b) => b.total <= 3),
      prospectInTwoBatches: inBatches.length !== new Set(inBatches).size,
    }).toEqual({
      statuses: Object.fromEntries(ids.map((id) => [id, 'succeeded'])),
      distinctStates: 24,
      enrolments: once(prospects),
      largestBatchFits: true,
      prospectInTwoBatches: false,
    });
  }, 240_000);

  it('GIVEN 40 enrolments of one key received by 20 invocations of 2 at once WHEN more than 4 batches would be forming THEN every intent succeeds and each prospect is enrolled once', async () => {
    const { pipeline, sim, seed } = coalescing;
    const prospects = await seedProspects(sim, seed, 40, 'crowd');
    const intents = prospects.map((p, n) => enrolment(`crowd-${n}`, p));
    await pipeline.client.enqueueMany(intents);
    const ids = intents.map((i) => i.id);
    const results = await driveConcurrently(coalescing.pipeline, coalescing.driver, ids, {
      invocations: 20,
      perInvocation: 2,
    });
    expect({
      statuses: statusesOf(results),
      distinctStates: new Set(results.map((r) => r.result?.resourceId)).size,
      enrolments: await enrolmentCounts(sim, seed, prospects),
    }).toEqual({
      statuses: Object.fromEntries(ids.map((id) => [id, 'succeeded'])),
      distinctStates: 40,
      enrolments: once(prospects),
    });
  }, 240_000);

  it('GIVEN one prospect in two intents with different ids spread over concurrent batches of one key WHEN Outreach refuses a second enrolment THEN the prospect is enrolled once and both intents settle, at least one succeeded', async () => {
    const { pipeline, sim, seed } = coalescing;
    sim.configure({ resources: { duplicateSequenceState: 'reject' } });
    const prospects = await seedProspects(sim, seed, 12, 'twice');
    const twice = prospects[0] as number;
    const intents = [
      ...prospects.map((p, n) => enrolment(`twice-${n}`, p, { orderingKey: `twice-${n}` })),
      enrolment('twice-again', twice, { orderingKey: 'twice-again' }),
    ];
    // The second intent of the prospect comes last, received by another invocation into another batch.
    await pipeline.client.enqueueMany(intents);
    const ids = intents.map((i) => i.id);
    const results = await driveConcurrently(coalescing.pipeline, coalescing.driver, ids, {
      invocations: 5,
      perInvocation: 3,
    });
    const onTwice = results.filter((r) => r.id === 'twice-0' || r.id === 'twice-again');
    const letters = (await takeDeadLetters(pipeline)).map(letterOf).filter((l) => l.intentId?.startsWith('twice-'));
    const deadLettered = onTwice.filter((r) => r.status === 'dead-lettered').map((r) => r.id);
    expect({
      enrolments: await enrolmentCounts(sim, seed, prospects),
      others: results.filter((r) => !onTwice.includes(r)).every((r) => r.status === 'succeeded'),
      onTwiceSettled: onTwice.every((r) => r.status === 'succeeded' || r.status === 'dead-lettered'),
      onTwiceSucceeded: onTwice.some((r) => r.status === 'succeeded'),
      lettersWithReason: letters.filter((l) => Boolean(l.reason)).map((l) => l.intentId),
    }).toEqual({
      enrolments: once(prospects),
      others: true,
      onTwiceSettled: true,
      onTwiceSucceeded: true,
      lettersWithReason: deadLettered,
    });
  }, 240_000);
});
