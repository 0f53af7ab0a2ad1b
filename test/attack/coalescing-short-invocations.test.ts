import type { RunningSimulator } from '../../local/outreach-sim';
import { accessToken } from '../outreach-sim/helpers';
import { HandDriver } from '../support/drive';
import { sharedPipeline } from '../support/pipeline';
import { driveConcurrently } from './coalescing-concurrent-drive';
import { coalescingPipeline, enrolment, enrolmentCounts, once, seedProspects, statusesOf } from './coalescing-fixtures';

/**
 * Dispatcher invocations given little time while Outreach is healthy: waiting is not failing, so every intent
 * must succeed, never be dead-lettered, and each prospect be enrolled once. First invocations of 3.5 s (the
 * upstream timeout, the settle margin and half a second) run at the same time as full ones, joining and opening
 * the same key's batches; then a gate with the default settings (60 s timeout, 10 s upstream timeout, coalescing
 * on) is only ever given 13 s invocations, enough for one request but never for a bulk action's run.
 */
describe('bulk enrolments gathered into bulk actions: invocations short of time', () => {
  describe('with the attack settings', () => {
    const coalescing = coalescingPipeline({ byHand: true });

    it('GIVEN short and full invocations at once on one key WHEN they gather and follow bulk actions against a healthy Outreach THEN every intent succeeds and each prospect is enrolled once', async () => {
      const { pipeline, driver, sim, seed } = coalescing;
      const prospects = await seedProspects(sim, seed, 12, 'mixed-time');
      const intents = prospects.map((p, n) => enrolment(`mixed-time-${n}`, p));
      await pipeline.client.enqueueMany(intents);
      const ids = intents.map((i) => i.id);
      const results = await driveConcurrently(pipeline, driver, ids, {
        invocations: 4,
        perInvocation: 2,
        invocationMs: (n) => (n % 2 === 0 ? 3500 : 30_000),
      });
      expect({
        statuses: statusesOf(results),
        enrolments: await enrolmentCounts(sim, seed, prospects),
      }).toEqual({
        statuses: Object.fromEntries(ids.map((id) => [id, 'succeeded'])),
        enrolments: once(prospects),
      });
    }, 240_000);
  });

  describe('with the default settings', () => {
    const shared = sharedPipeline(
      { outreachUsers: ['u1'], simulator: { users: ['u1', 'seed'], timeScale: 1 } },
      180_000,
    );
    const sim = () => shared.pipeline.env.simulator as RunningSimulator;
    beforeAll(() => shared.pipeline.runner.stop(), 60_000);

    it('GIVEN only 13 s invocations WHEN bulk enrolments are dispatched against a healthy Outreach THEN every intent succeeds and each prospect is enrolled once', async () => {
      const { pipeline } = shared;
      const driver = new HandDriver(pipeline.env, pipeline.dispatcher);
      const seed = await accessToken(sim(), 'seed');
      const prospects = await seedProspects(sim(), seed, 6, 'thirteen');
      const intents = prospects.map((p, n) => enrolment(`thirteen-${n}`, p));
      await pipeline.client.enqueueMany(intents);
      const ids = intents.map((i) => i.id);
      const results = await driveConcurrently(
        pipeline,
        driver,
        ids,
        { invocations: 2, perInvocation: 3, invocationMs: () => 13_000 },
        300_000,
      );
      expect({
        statuses: statusesOf(results),
        enrolments: await enrolmentCounts(sim(), seed, prospects),
      }).toEqual({
        statuses: Object.fromEntries(ids.map((id) => [id, 'succeeded'])),
        enrolments: once(prospects),
      });
    }, 420_000);
  });
});
