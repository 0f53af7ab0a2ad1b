import type { IntentStore } from '../../lambdas/dispatcher/ports';
import { type Pipeline, prospectCreate, startPipeline } from '../support/pipeline';

/** Dies (throws) at the chosen moment of settling the chosen intents, once each. */
function crashing(store: IntentStore, plan: Map<string, 'before-record' | 'after-record'>): IntentStore {
  return {
    get: (id) => store.get(id),
    recordFailure: (...args) => store.recordFailure(...args),
    markDeferred: (...args) => store.markDeferred(...args),
    markDeadLettered: (...args) => store.markDeadLettered(...args),
    async markSucceeded(intent, outcome, now) {
      const when = plan.get(intent.id);
      plan.delete(intent.id);
      if (when === 'before-record') throw new Error('simulated crash after the 2xx, before anything was recorded');
      await store.markSucceeded(intent, outcome, now);
      if (when === 'after-record') throw new Error('simulated crash after recording success, before the delete');
    },
  };
}

describe('dispatcher pipeline: a crash between the 2xx and the delete', () => {
  let pipeline: Pipeline;
  const plan = new Map<string, 'before-record' | 'after-record'>([
    ['create-bulk-0', 'before-record'],
    ['create-bulk-1', 'after-record'],
  ]);

  beforeAll(async () => {
    // A 2 s dispatcher timeout gives a 12 s visibility timeout: the crashed messages come back that soon.
    pipeline = await startPipeline({
      outreachUsers: ['u1'],
      dispatcherTimeoutSeconds: 2,
      upstreamTimeoutMs: 1500,
      simulator: { users: ['u1'] },
      wrapDispatcher: { decorateIntents: (store) => crashing(store, plan) },
    });
  }, 60_000);

  afterAll(async () => {
    await pipeline?.stop();
  });

  it('GIVEN the dispatcher dies after Outreach created the prospect WHEN the intent is redelivered THEN Outreach holds one prospect per intent', async () => {
    const intents = [prospectCreate(0), prospectCreate(1), prospectCreate(2)];
    await pipeline.client.enqueueMany(intents);
    const results = await pipeline.settle(
      intents.map((i) => i.id),
      60_000,
    );
    const stats = pipeline.env.simulator?.stats();
    expect({
      crashesHappened: plan.size === 0,
      succeeded: results.map((r) => r.status),
      distinctProspects: new Set(results.map((r) => r.result?.resourceId)).size,
      duplicates: stats?.total.duplicatesCreated,
      creates: stats?.total.byStatus['201'],
    }).toEqual({
      crashesHappened: true,
      succeeded: ['succeeded', 'succeeded', 'succeeded'],
      distinctProspects: 3,
      duplicates: 0,
      creates: 3,
    });
  }, 90_000);
});
