import type { RunningSimulator } from '../../local/outreach-sim';
import { accessToken } from '../outreach-sim/helpers';
import { sharedPipeline } from '../support/pipeline';
import {
  batchesFor,
  drained,
  enrolment,
  enrolmentCounts,
  once,
  seedProspects,
  statusesOf,
} from './coalescing-fixtures';

/**
 * The gate as a user deploys it without a word on coalescing: no `coalescing` block, the default dispatcher and
 * upstream timeouts, and an Outreach that takes its documented time over bulk actions (2 s pending, 0.2 s an
 * item). A few hundred bulk enrolments of two users into two sequences from two mailboxes go through the
 * pipeline as producers send them.
 */
describe('bulk enrolments with the default settings', () => {
  const shared = sharedPipeline(
    {
      outreachUsers: ['u1', 'u2'],
      simulator: { users: ['u1', 'u2', 'seed'], timeScale: 1 },
    },
    180_000,
  );
  const sim = () => shared.pipeline.env.simulator as RunningSimulator;
  // Outreach mints one token a minute: the seed user's is taken once.
  let seed: string;
  beforeAll(async () => {
    seed = await accessToken(sim(), 'seed');
  });

  it('GIVEN 240 bulk enrolments of two users into two sequences from two mailboxes WHEN dispatched with the default settings THEN every intent succeeds with its own sequence state, each prospect is enrolled once, and they were gathered into bulk actions', async () => {
    const { pipeline } = shared;
    const prospects = await seedProspects(sim(), seed, 240, 'defaults');
    const intents = prospects.map((p, n) =>
      enrolment(`defaults-${n}`, p, {
        user: n % 2 === 0 ? 'u1' : 'u2',
        sequenceId: 1 + (Math.floor(n / 2) % 2),
        mailboxId: 1 + (Math.floor(n / 4) % 2),
      }),
    );
    const sent = await pipeline.client.enqueueMany(intents);
    expect(sent.failed).toEqual([]);
    const ids = intents.map((i) => i.id);
    const results = await drained(pipeline, ids, 420_000);
    const counts: Record<number, number> = {};
    for (const [n, prospectId] of prospects.entries()) {
      const sequenceId = intents[n]?.operation.sequenceId ?? 0;
      Object.assign(counts, await enrolmentCounts(sim(), seed, [prospectId], sequenceId));
    }
    const gathered = (await batchesFor(sim(), seed, prospects)).flatMap((b) => b.ids);
    expect({
      statuses: statusesOf(results),
      distinctStates: new Set(results.map((r) => r.result?.resourceId)).size,
      enrolments: counts,
      someGathered: gathered.length > 0,
    }).toEqual({
      statuses: Object.fromEntries(ids.map((id) => [id, 'succeeded'])),
      distinctStates: 240,
      enrolments: once(prospects),
      someGathered: true,
    });
  }, 600_000);

  it('GIVEN 300 bulk enrolments of one user into one sequence from one mailbox WHEN dispatched with the default settings THEN every intent succeeds, each prospect is enrolled once and no bulk action exceeds 100', async () => {
    const { pipeline } = shared;
    const prospects = await seedProspects(sim(), seed, 300, 'one-key');
    const intents = prospects.map((p, n) => enrolment(`one-key-${n}`, p, { sequenceId: 3 }));
    const sent = await pipeline.client.enqueueMany(intents);
    expect(sent.failed).toEqual([]);
    const ids = intents.map((i) => i.id);
    const results = await drained(pipeline, ids, 420_000);
    const batches = await batchesFor(sim(), seed, prospects);
    const inBatches = batches.flatMap((b) => b.ids);
    expect({
      statuses: statusesOf(results),
      distinctStates: new Set(results.map((r) => r.result?.resourceId)).size,
      enrolments: await enrolmentCounts(sim(), seed, prospects, 3),
      batchesFit: batches.every((b) => b.total <= 100),
      prospectInTwoBatches: inBatches.length !== new Set(inBatches).size,
    }).toEqual({
      statuses: Object.fromEntries(ids.map((id) => [id, 'succeeded'])),
      distinctStates: 300,
      enrolments: once(prospects),
      batchesFit: true,
      prospectInTwoBatches: false,
    });
  }, 600_000);
});
