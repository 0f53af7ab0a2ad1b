import { DynamoDbGateStore } from '../../lambdas/adapters/dynamodb-gate-store';
import { GateStoreError, type Lease, type Wait } from '../../lambdas/gate/port';
import type { GateState } from '../../lambdas/gate/types';
import { resolveGateSettings } from '../../lib/settings';
import { useDynamoDbLocal } from '../support/dynamodb';

const ddb = useDynamoDbLocal();
let tableName: string;
let userCounter = 0;

beforeAll(async () => {
  tableName = await ddb.createGateTable();
});

const freshUser = () => `returning-${++userCounter}`;
const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);
const config = resolveGateSettings().gate;

/** A store on a clock held at T0 that always picks the first free slot: two users given the same calls match. */
function store(): DynamoDbGateStore {
  return new DynamoDbGateStore(ddb.documentClient, { tableName, config, clock: () => T0, random: () => 0 });
}

function expectLease(result: Lease | Wait): Lease {
  if (result.kind !== 'lease') throw new Error(`expected a lease, got ${JSON.stringify(result)}`);
  return result;
}

/** The item without the lease tokens (random owners), and without its revision. */
const comparable = (state: GateState) => ({ ...state, leases: Object.keys(state.leases) });

const ok = {
  status: 200,
  headers: {
    'x-ratelimit-limit': '1000',
    'x-ratelimit-remaining': '990',
    'x-ratelimit-reset': String(Math.floor(T0 / 1000) + 1800),
  },
};

describe('DynamoDbGateStore: returning a lease with the next admission', () => {
  it('GIVEN a lease held after a 2xx WHEN the next admission of its user returns it THEN one UpdateItem leaves the item as a release and an admission do', async () => {
    const gate = store();
    const [apart, together] = [freshUser(), freshUser()];
    const firstApart = expectLease(await gate.acquire(apart, 'bulk'));
    const firstTogether = expectLease(await gate.acquire(together, 'bulk'));

    const before = gate.requestCount;
    await gate.release(firstApart, ok);
    expectLease(await gate.acquire(apart, 'bulk'));
    const twoWrites = gate.requestCount - before;
    const next = expectLease(await gate.acquire(together, 'bulk', undefined, { lease: firstTogether, result: ok }));
    const oneWrite = gate.requestCount - before - twoWrites;

    const [stateApart, stateTogether] = [await gate.snapshot(apart), await gate.snapshot(together)];
    expect({ twoWrites, oneWrite, inFlight: next.inFlight }).toEqual({ twoWrites: 2, oneWrite: 1, inFlight: 1 });
    expect(comparable(stateTogether)).toEqual(comparable(stateApart));
    expect({ spent: stateTogether.spent, held: Object.keys(stateTogether.leases).length }).toEqual({
      spent: 11,
      held: 1,
    });
  });

  it('GIVEN a lease held after a 2xx and a cool-down another dispatcher wrote since WHEN the next admission returns it THEN it waits for the cool-down and the lease is returned all the same', async () => {
    const ours = store();
    const theirs = store();
    const user = freshUser();
    const held = expectLease(await ours.acquire(user, 'bulk'));
    const throttled = expectLease(await theirs.acquire(user, 'bulk'));
    await theirs.release(throttled, { status: 429, headers: { 'retry-after': '60' } });

    const answer = await ours.acquire(user, 'bulk', undefined, { lease: held, result: ok });

    const state = await theirs.snapshot(user);
    expect({ answer: answer.kind === 'wait' ? answer.reason : answer.kind, held: state.leases }).toEqual({
      answer: 'cooldown',
      held: {},
    });
    expect(state.cooldownUntil).toBeGreaterThanOrEqual(T0 + 60_000);
  });

  it('GIVEN a lease of one user WHEN it is returned with an admission of another THEN a GateStoreError names both and nothing is written', async () => {
    const gate = store();
    const [owner, other] = [freshUser(), freshUser()];
    const lease = expectLease(await gate.acquire(owner, 'bulk'));
    const before = gate.requestCount;

    await expect(gate.acquire(other, 'bulk', undefined, { lease, result: ok })).rejects.toThrow(
      new GateStoreError(`a lease of user "${owner}" cannot be returned with an admission of user "${other}"`),
    );
    expect(gate.requestCount).toBe(before);
  });
});
