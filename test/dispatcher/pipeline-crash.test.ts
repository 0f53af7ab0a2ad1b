import type { IntentStore } from '../../lambdas/dispatcher/ports';
import { type Pipeline, prospectCreate, startPipeline } from '../support/pipeline';

/** Dies (throws) at the chosen moment of settling the chosen intents, once each. */
function crashing(store: IntentStore, plan: Map<string, 'before-record' | 'after-record'>): IntentStore {
  return {
    get: (id) => store.get(id),
    claim: (...args) => store.claim(...args),
    reopen: (...args) => store.reopen(...args),
    release: (...args) => store.release(...args),
    deadLetter: (...args) => store.deadLetter(...args),
    async succeed(intent, owner, outcome, now) {
      const when = plan.get(intent.id);
      plan.delete(intent.id);
      if (when === 'before-record') throw new Error('simulated crash after the 2xx, before anything was recorded');
      const stored = await store.succeed(intent, owner, outcome, now);
      if (when === 'after-record') throw new Error('simulated crash after recording success, before the delete');
      return stored;
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
    // A 6 s dispatcher timeout gives a 36 s visibility timeout: the crashed messages come back that soon. The
    // dispatcher starts a request only with the upstream timeout and a settle margin left (1 s + 2 s): 6 s leaves a
    // loaded machine's DynamoDB Local three seconds for the claim and the admission.
    pipeline = await startPipeline({
      outreachUsers: ['u1'],
      dispatcherTimeoutSeconds: 6,
      upstreamTimeoutMs: 1000,
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
      200_000,
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
  }, 240_000);
});
