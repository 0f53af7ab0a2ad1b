import { DynamoDbGateStore } from '../../lambdas/adapters/dynamodb-gate-store';
import type { Lease, Wait } from '../../lambdas/gate/port';
import { resolveGateSettings } from '../../lib/settings';
import { useDynamoDbLocal } from '../support/dynamodb';

const ddb = useDynamoDbLocal();
let tableName: string;
let userCounter = 0;

beforeAll(async () => {
  tableName = await ddb.createGateTable();
});

const freshUser = () => `known-wait-${++userCounter}`;
const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);

/** A store on a clock the test moves by hand; its cached image answers budget and cool-down waits for 1 s. */
function controlledStore() {
  const clock = { now: T0 };
  const store = new DynamoDbGateStore(ddb.documentClient, {
    tableName,
    config: resolveGateSettings().gate,
    clock: () => clock.now,
    budgetWaitCacheMaxAgeMs: 1000,
  });
  return { clock, store };
}

function expectLease(result: Lease | Wait): Lease {
  if (result.kind !== 'lease') throw new Error(`expected a lease, got ${JSON.stringify(result)}`);
  return result;
}

/** `user` told by a 429 to wait ten minutes, as recorded by `store`. */
async function coolDown(store: DynamoDbGateStore, user: string): Promise<void> {
  const lease = expectLease(await store.acquire(user, 'bulk'));
  await store.release(lease, { status: 429, headers: { 'retry-after': '600' } });
}

describe('DynamoDbGateStore.knownWait', () => {
  it('GIVEN a cool-down the store has just written WHEN asked THEN its image answers with the cool-down and no request', async () => {
    const { store } = controlledStore();
    const user = freshUser();
    await coolDown(store, user);
    const before = store.requestCount;

    const wait = await store.knownWait(user, 'bulk');

    expect({ reason: wait?.reason, requests: store.requestCount - before }).toEqual({
      reason: 'cooldown',
      requests: 0,
    });
  });

  it('GIVEN an aged image showing a cool-down WHEN asked THEN the item is read once and its wait answered', async () => {
    const { clock, store } = controlledStore();
    const user = freshUser();
    await coolDown(store, user);
    clock.now += 2000;
    const before = store.requestCount;

    const wait = await store.knownWait(user, 'bulk');

    expect({ reason: wait?.reason, requests: store.requestCount - before }).toEqual({
      reason: 'cooldown',
      requests: 1,
    });
  });

  it('GIVEN an image showing no wait WHEN asked THEN undefined, with no request', async () => {
    const { store } = controlledStore();
    const user = freshUser();
    const lease = expectLease(await store.acquire(user, 'bulk'));
    await store.release(lease, { status: 200 });
    const before = store.requestCount;

    const wait = await store.knownWait(user, 'bulk');

    expect({ wait, requests: store.requestCount - before }).toEqual({ wait: undefined, requests: 0 });
  });

  it('GIVEN a user the store has never seen WHEN asked THEN undefined, with no request', async () => {
    const { store } = controlledStore();

    const wait = await store.knownWait(freshUser(), 'bulk');

    expect({ wait, requests: store.requestCount }).toEqual({ wait: undefined, requests: 0 });
  });
});
