import type { FormingBatches } from '../../lambdas/dispatcher/ports';
import type { IntentResult } from '../../lambdas/shared/intent-record';
import { type LocalDispatcher, localDispatcher, localProducerClient } from '../../local/dispatcher';
import { type LocalEnvironment, startLocalEnvironment } from '../../local/environment';
import type { RunningSimulator } from '../../local/outreach-sim';
import {
  batchesFor,
  COALESCING_SETTINGS,
  enrolment,
  enrolmentCounts,
  once,
  seedProspects,
} from '../attack/coalescing-fixtures';
import { accessToken } from '../outreach-sim/helpers';
import { HandDriver } from '../support/drive';

/**
 * A join of gathered enrolments whose write DynamoDB applied but whose answer was lost (a timeout, a reset): the
 * members are in a forming batch that another invocation seals and runs, though the joiner was told nothing. They
 * must not also be enrolled one by one. On DynamoDB Local, the SQS emulator and the Outreach simulator, with two
 * dispatchers driven by hand: A opens the batch, B's join into it is applied and then fails.
 */
describe('coalescing: a join whose answer was lost', () => {
  let env: LocalEnvironment;
  let sim: RunningSimulator;
  let seed: string;
  const dispatchers: LocalDispatcher[] = [];
  /** Prospect ids of every single enrolment (`POST /sequenceStates`) any dispatcher sent. */
  const singles: number[] = [];

  const countingFetch: typeof fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (init?.method === 'POST' && url.pathname.endsWith('/sequenceStates')) {
      const body = JSON.parse(String(init.body)) as {
        data: { relationships: { prospect: { data: { id: number } } } };
      };
      singles.push(Number(body.data.relationships.prospect.data.id));
    }
    return fetch(input, init);
  };

  const driver = (decorateBatches?: (batches: FormingBatches) => FormingBatches) => {
    const built = localDispatcher(env, { fetch: countingFetch, ...(decorateBatches ? { decorateBatches } : {}) });
    dispatchers.push(built);
    return new HandDriver(env, built);
  };

  beforeAll(async () => {
    env = await startLocalEnvironment({ ...COALESCING_SETTINGS, stopOnSignals: false });
    sim = env.simulator as RunningSimulator;
    seed = await accessToken(sim, 'seed');
  }, 120_000);

  afterAll(async () => {
    for (const dispatcher of dispatchers) dispatcher.close();
    await env?.stop();
  });

  describe('GIVEN dispatcher A opened a batch and B joined it with a write whose answer was lost', () => {
    let prospects: number[];
    let results: Array<IntentResult | undefined>;

    beforeAll(async () => {
      prospects = await seedProspects(sim, seed, 2, 'lost-join');
      const intents = prospects.map((prospectId, n) => ({ ...enrolment(`lost-join-${n}`, prospectId) }));
      let opened: () => void = () => {};
      const batchOpened = new Promise<void>((resolve) => {
        opened = resolve;
      });
      const a = driver((batches) => ({
        join: async (...args) => {
          const result = await batches.join(...args);
          opened();
          return result;
        },
        seal: (...args) => batches.seal(...args),
      }));
      const b = driver((batches) => ({
        join: async (...args) => {
          await batches.join(...args);
          throw new Error('the connection was reset before DynamoDB answered');
        },
        seal: (...args) => batches.seal(...args),
      }));
      for (const intent of intents) await a.send(intent);
      const messages = await a.receive('bulk');
      const [first, second] = intents.map((intent) =>
        messages.find((m) => JSON.parse(m.Body ?? '{}').id === intent.id),
      );
      if (first === undefined || second === undefined) throw new Error('the two enrolments were not received');
      const runA = a.invoke('bulk', [first]);
      await batchOpened;
      await Promise.all([runA, b.invoke('bulk', [second])]);
      const client = localProducerClient(env);
      results = await Promise.all(intents.map((intent) => client.getResult(intent.id)));
    }, 120_000);

    it('WHEN the batch ran THEN both enrolments succeeded from it', () => {
      expect(results.map((result) => result?.status)).toEqual(['succeeded', 'succeeded']);
    });

    it('WHEN the batch ran THEN no enrolment was also sent one by one, and each prospect was sent once', async () => {
      const batched = (await batchesFor(sim, seed, prospects)).flatMap((batch) => batch.ids);
      expect({
        singles: singles.filter((id) => prospects.includes(id)),
        batched: [...batched].sort(),
        enrolments: await enrolmentCounts(sim, seed, prospects),
      }).toEqual({ singles: [], batched: [...prospects].sort(), enrolments: once(prospects) });
    });
  });
});
