import { api } from '../outreach-sim/helpers';
import {
  batchesFor,
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
 * Attacks on what may share a bulk action, by a producer mixing mailboxes, users and operation types on the bulk
 * lane, and ordering an update behind an enrolment: only enrolments of one user into one sequence from one
 * mailbox are gathered, other operations pass unchanged, and a message group's order holds.
 */
describe('bulk enrolments gathered into bulk actions: only compatible intents share one', () => {
  const coalescing = coalescingPipeline({ restoreAfterEach: { batches: COALESCING_SETTINGS.simulator.batches } });

  it('GIVEN enrolments into one sequence from two mailboxes WHEN dispatched together THEN no bulk action mixes the mailboxes', async () => {
    const { pipeline, sim, seed } = coalescing;
    const prospects = await seedProspects(sim, seed, 6, 'mailboxes');
    const mailboxOf = (n: number) => (n % 2 === 0 ? 1 : 2);
    const intents = prospects.map((p, n) => enrolment(`mailboxes-${n}`, p, { mailboxId: mailboxOf(n) }));
    await pipeline.client.enqueueMany(intents);
    const results = await drained(
      pipeline,
      intents.map((i) => i.id),
      90_000,
    );
    const batches = await batchesFor(sim, seed, prospects);
    const wrongMailbox = batches.flatMap((batch) =>
      batch.ids.filter((id) => {
        const n = prospects.indexOf(id);
        return n >= 0 && mailboxOf(n) !== batch.mailboxId;
      }),
    );
    expect({
      statuses: [...new Set(results.map((r) => r.status))],
      wrongMailbox,
      enrolments: await enrolmentCounts(sim, seed, prospects),
    }).toEqual({ statuses: ['succeeded'], wrongMailbox: [], enrolments: once(prospects) });
  }, 150_000);

  it('GIVEN enrolments of two users into one sequence from one mailbox WHEN dispatched together THEN no bulk action holds both users’ prospects', async () => {
    const { pipeline, sim, seed } = coalescing;
    const prospects = await seedProspects(sim, seed, 6, 'users');
    const userOf = (n: number) => (n < 3 ? 'u1' : 'u2');
    const intents = prospects.map((p, n) => enrolment(`users-${n}`, p, { user: userOf(n) }));
    const u2Before = sim.stats().users.u2?.requests ?? 0;
    await pipeline.client.enqueueMany(intents);
    const results = await drained(
      pipeline,
      intents.map((i) => i.id),
      90_000,
    );
    const batches = await batchesFor(sim, seed, prospects);
    const usersIn = (ids: readonly number[]) =>
      [...new Set(ids.filter((id) => prospects.includes(id)).map((id) => userOf(prospects.indexOf(id))))].sort();
    expect({
      statuses: [...new Set(results.map((r) => r.status))],
      mixed: batches.filter((batch) => usersIn(batch.ids).length > 1).map((batch) => batch.ids),
      u2Called: (sim.stats().users.u2?.requests ?? 0) > u2Before,
      enrolments: await enrolmentCounts(sim, seed, prospects),
    }).toEqual({ statuses: ['succeeded'], mixed: [], u2Called: true, enrolments: once(prospects) });
  }, 150_000);

  it('GIVEN bulk-lane prospect creates and updates among enrolments WHEN dispatched THEN they are performed one by one as before', async () => {
    const { pipeline, sim, seed } = coalescing;
    const prospects = await seedProspects(sim, seed, 4, 'mixed');
    const [e0, e1, e2] = prospects.slice(0, 3).map((p, n) => enrolment(`mixed-enrol-${n}`, p)) as [
      ReturnType<typeof enrolment>,
      ReturnType<typeof enrolment>,
      ReturnType<typeof enrolment>,
    ];
    const enrolments = [e0, e1, e2];
    const create = {
      id: 'mixed-create',
      user: 'u1',
      lane: 'bulk' as const,
      operation: {
        type: 'prospect.create' as const,
        attributes: { emails: [`mixed-create-${Date.now()}@example.com`], firstName: 'Mixed' },
      },
    };
    const update = {
      id: 'mixed-update',
      user: 'u1',
      lane: 'bulk' as const,
      operation: { type: 'prospect.update' as const, prospectId: prospects[3] as number, attributes: { title: 'CTO' } },
    };
    await pipeline.client.enqueueMany([e0, create, e1, update, e2]);
    const ids = [...enrolments.map((i) => i.id), create.id, update.id];
    const results = await drained(pipeline, ids, 90_000);
    const byId = Object.fromEntries(results.map((r) => [r.id, r]));
    const updated = await api(sim, seed, 'GET', `/prospects/${prospects[3]}`);
    expect({
      statuses: statusesOf(results),
      create: [byId['mixed-create']?.result?.httpStatus, byId['mixed-create']?.result?.resourceType],
      update: [byId['mixed-update']?.result?.resourceType, byId['mixed-update']?.result?.resourceId],
      title: updated.json.data.attributes.title,
    }).toEqual({
      statuses: Object.fromEntries(ids.map((id) => [id, 'succeeded'])),
      create: [201, 'prospect'],
      update: ['prospect', prospects[3]],
      title: 'CTO',
    });
  }, 150_000);

  it('GIVEN an enrolment parked in a slow bulk action WHEN an update of the same message group follows it THEN the update is performed after the enrolment', async () => {
    const { pipeline, sim, seed } = coalescing;
    sim.configure({ batches: { startDelaySeconds: 3, secondsPerItem: 0.05 } });
    const [prospectId] = (await seedProspects(sim, seed, 1, 'fifo')) as [number];
    const orderingKey = `fifo-${prospectId}`;
    const enrol = enrolment('fifo-enrol', prospectId, { orderingKey });
    const update = {
      id: 'fifo-update',
      user: 'u1',
      lane: 'bulk' as const,
      orderingKey,
      operation: { type: 'prospect.update' as const, prospectId, attributes: { title: 'after-enrolment' } },
    };
    await pipeline.client.enqueueMany([enrol, update]);
    const results = await drained(pipeline, [enrol.id, update.id], 120_000);
    const states = await api(sim, seed, 'GET', `/sequenceStates?filter[prospect][id]=${prospectId}`);
    const prospect = await api(sim, seed, 'GET', `/prospects/${prospectId}`);
    const enrolledAt = Date.parse(states.json.data[0]?.attributes.createdAt);
    const updatedAt = Date.parse(prospect.json.data.attributes.updatedAt);
    expect({
      statuses: statusesOf(results),
      title: prospect.json.data.attributes.title,
      updateAfterEnrolment: updatedAt >= enrolledAt,
    }).toEqual({
      statuses: { 'fifo-enrol': 'succeeded', 'fifo-update': 'succeeded' },
      title: 'after-enrolment',
      updateAfterEnrolment: true,
    });
  }, 150_000);
});
