import type { IntentResult } from '../../lambdas/shared/intent-record';
import {
  batchesFor,
  coalescingPipeline,
  drained,
  enrolment,
  enrolmentCounts,
  once,
  seedProspects,
  statusesOf,
  until,
} from './coalescing-fixtures';

/**
 * A bulk action that Outreach keeps pending longer than its members' park (60 s against 37 s): the runner's
 * invocation runs out of time while following it, so the runner cancels it, and its members come back at once
 * to be read back and enrolled singly. Every prospect ends up enrolled exactly once, by a single create, and no
 * second bulk action is made for them.
 */
describe('bulk enrolments gathered into bulk actions: a bulk action slower than the park', () => {
  const coalescing = coalescingPipeline();
  let prospects: number[];
  let intents: ReturnType<typeof enrolment>[];
  let results: IntentResult[];
  let settledUpstream: boolean;

  beforeAll(async () => {
    const { pipeline, sim, seed } = coalescing;
    // GIVEN Outreach starts bulk actions only after 60 s, longer than the members' 37 s park
    sim.configure({ batches: { startDelaySeconds: 60, secondsPerItem: 0.005 } });
    prospects = await seedProspects(sim, seed, 3, 'slow');
    intents = prospects.map((p, n) => enrolment(`slow-${n}`, p));
    // WHEN three enrolments are gathered into one bulk action and the dispatcher drains them
    await pipeline.client.enqueueMany(intents);
    results = await drained(
      pipeline,
      intents.map((i) => i.id),
      120_000,
    );
    // and Outreach has finished or canceled every bulk action carrying them (nothing more will run)
    settledUpstream = await until(
      async () =>
        (await batchesFor(sim, seed, prospects)).every((b) => b.state === 'finished' || b.state === 'canceled'),
      90_000,
      1000,
    );
  }, 300_000);

  it('THEN every intent succeeds and each prospect is enrolled once', async () => {
    const { sim, seed } = coalescing;
    expect({
      settledUpstream,
      statuses: statusesOf(results),
      enrolments: await enrolmentCounts(sim, seed, prospects),
    }).toEqual({
      settledUpstream: true,
      statuses: Object.fromEntries(intents.map((i) => [i.id, 'succeeded'])),
      enrolments: once(prospects),
    });
  });

  it('THEN the one bulk action made for them was canceled and no second one was made (they went singly)', async () => {
    const { sim, seed } = coalescing;
    const batches = await batchesFor(sim, seed, prospects);
    expect({ settledUpstream, states: batches.map((b) => b.state) }).toEqual({
      settledUpstream: true,
      states: ['canceled'],
    });
  });
});
