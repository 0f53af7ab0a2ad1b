import { api } from '../outreach-sim/helpers';
import { coalescingPipeline, drained, enrolment, seedProspects, statusesOf } from './coalescing-fixtures';

/**
 * Attack on FIFO order within a message group: a later enrolment of the group into another sequence must not be
 * performed (by its own, quicker bulk action) before the earlier one parked in a long bulk action.
 */
describe('bulk enrolments gathered into bulk actions: order within a message group', () => {
  const coalescing = coalescingPipeline();

  it('GIVEN an enrolment parked in a long bulk action WHEN a later enrolment of its group goes into another sequence THEN it is performed after the earlier one', async () => {
    const { pipeline, sim, seed } = coalescing;
    sim.configure({ batches: { startDelaySeconds: 1, secondsPerItem: 0.2 } });
    const prospects = await seedProspects(sim, seed, 21, 'fifo-two');
    const prospectId = prospects[20] as number;
    const orderingKey = `fifo-two-${prospectId}`;
    const fillers = prospects.slice(0, 20).map((p, n) => enrolment(`fifo-two-filler-${n}`, p));
    const earlier = enrolment('fifo-two-earlier', prospectId, { sequenceId: 1, orderingKey });
    const later = enrolment('fifo-two-later', prospectId, { sequenceId: 2, orderingKey });
    await pipeline.client.enqueueMany([...fillers, earlier, later]);
    const ids = [...fillers.map((i) => i.id), earlier.id, later.id];
    const results = await drained(pipeline, ids, 150_000);
    const enrolledAt = async (sequenceId: number) => {
      const states = await api(
        sim,
        seed,
        'GET',
        `/sequenceStates?filter[prospect][id]=${prospectId}&filter[sequence][id]=${sequenceId}`,
      );
      return Date.parse(states.json.data[0]?.attributes.createdAt);
    };
    const [first, second] = [await enrolledAt(1), await enrolledAt(2)];
    expect({
      statuses: [...new Set(Object.values(statusesOf(results)))],
      laterAfterEarlier: second >= first,
    }).toEqual({ statuses: ['succeeded'], laterAfterEarlier: true });
  }, 240_000);
});
