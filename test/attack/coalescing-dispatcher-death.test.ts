import type { IntentStore } from '../../lambdas/dispatcher/ports';
import { GateFaults } from '../support/gate-faults';
import {
  coalescingPipeline,
  drained,
  enrolment,
  enrolmentCounts,
  once,
  seedProspects,
  statusesOf,
} from './coalescing-fixtures';

/**
 * Attacks on exactly-once enrolment by a dispatcher that dies at a bad moment: before the bulk action is sent (its
 * admission fails as a DynamoDB outage would) and half-way through settling the members of a finished bulk action.
 * The members come back after their park; each prospect must be enrolled once and each intent succeed.
 */

/** Intents whose settle throws once, after `survivors` settles went through: a runner dying half-way. */
class DyingMidSettle {
  readonly victims = new Set<string>();
  survivors = 0;
  died = false;

  wrap(store: IntentStore): IntentStore {
    return {
      get: (id) => store.get(id),
      claim: (...args) => store.claim(...args),
      reopen: (...args) => store.reopen(...args),
      release: (...args) => store.release(...args),
      deadLetter: (...args) => store.deadLetter(...args),
      succeed: async (intent, owner, outcome, now) => {
        if (!this.died && this.victims.has(intent.id)) {
          if (this.survivors > 0) this.survivors -= 1;
          else {
            this.died = true;
            throw new Error('simulated runner death while settling the members of a bulk action');
          }
        }
        return store.succeed(intent, owner, outcome, now);
      },
    };
  }
}

describe('bulk enrolments gathered into bulk actions: a dispatcher that dies', () => {
  const dying = new DyingMidSettle();
  const gateFaults = new GateFaults(() =>
    Object.assign(new Error('gate table unavailable'), { name: 'InternalServerError' }),
  );
  const coalescing = coalescingPipeline({
    settings: {
      wrapDispatcher: {
        decorateIntents: (store) => dying.wrap(store),
        decorateGate: (gate) => gateFaults.wrap(gate),
      },
    },
  });

  it('GIVEN a finished bulk action WHEN its runner dies after settling two of its five members THEN the others are read back and each prospect is enrolled once', async () => {
    const { pipeline, sim, seed } = coalescing;
    const prospects = await seedProspects(sim, seed, 5, 'mid-settle');
    const intents = prospects.map((p, n) => enrolment(`mid-settle-${n}`, p));
    for (const intent of intents) dying.victims.add(intent.id);
    dying.survivors = 2;
    await pipeline.client.enqueueMany(intents);
    const results = await drained(
      pipeline,
      intents.map((i) => i.id),
      150_000,
    );
    expect({
      died: dying.died,
      statuses: statusesOf(results),
      distinctStates: new Set(results.map((r) => r.result?.resourceId)).size,
      enrolments: await enrolmentCounts(sim, seed, prospects),
    }).toEqual({
      died: true,
      statuses: Object.fromEntries(intents.map((i) => [i.id, 'succeeded'])),
      distinctStates: 5,
      enrolments: once(prospects),
    });
  }, 240_000);

  it('GIVEN gathered enrolments WHEN the admission of their bulk action fails THEN each prospect is still enrolled once and every intent succeeds', async () => {
    const { pipeline, sim, seed } = coalescing;
    const prospects = await seedProspects(sim, seed, 4, 'before-post');
    const intents = prospects.map((p, n) => enrolment(`before-post-${n}`, p));
    gateFaults.failures.acquire = 1;
    await pipeline.client.enqueueMany(intents);
    const results = await drained(
      pipeline,
      intents.map((i) => i.id),
      150_000,
    );
    expect({
      admissionFailed: gateFaults.failures.acquire === 0,
      statuses: statusesOf(results),
      enrolments: await enrolmentCounts(sim, seed, prospects),
    }).toEqual({
      admissionFailed: true,
      statuses: Object.fromEntries(intents.map((i) => [i.id, 'succeeded'])),
      enrolments: once(prospects),
    });
  }, 240_000);
});
