import { DynamoDbIntentStore } from '../../lambdas/adapters/dynamodb-intent-store';
import type { ClaimRequest } from '../../lambdas/dispatcher/ports';
import { type Intent, parseIntent } from '../../lambdas/shared/intent';
import { payloadHashOf } from '../../lambdas/shared/intent-record';
import { useDynamoDbLocal } from '../support/dynamodb';

const ddb = useDynamoDbLocal();
let store: DynamoDbIntentStore;
let counter = 0;
// Now, not a fixed date: DynamoDB Local deletes items whose TTL has passed.
const T0 = Date.now();

beforeAll(async () => {
  store = new DynamoDbIntentStore(ddb.documentClient, {
    tableName: await ddb.createGateTable(),
    recordTtlSeconds: 3600,
  });
});

/** A prospect create with an id no other test uses. */
function freshIntent(email = 'ada@example.com'): Intent {
  return parseIntent({
    v: 1,
    id: `intent-${++counter}`,
    user: 'u1',
    lane: 'bulk',
    operation: { type: 'prospect.create', attributes: { emails: [email] } },
  });
}

const claimBy = (intent: Intent, owner: string, extra: Partial<ClaimRequest> = {}): ClaimRequest => ({
  owner,
  ownerExpiresAt: T0 + 30_000,
  payloadHash: payloadHashOf(intent),
  guardSend: true,
  ...extra,
});

const outcome = { httpStatus: 201, resourceType: 'prospect', resourceId: 7 };

describe('DynamoDbIntentStore on DynamoDB Local', () => {
  it('GIVEN no record WHEN a message claims the intent THEN the record is in progress, owned, hashed and marked "a send may happen"', async () => {
    const intent = freshIntent();
    const claim = await store.claim(intent, claimBy(intent, 'm1'), T0);
    expect({ claim, record: await store.get(intent.id) }).toMatchObject({
      claim: { kind: 'claimed' },
      record: {
        status: 'in-progress',
        owner: 'm1',
        ownerExpiresAt: T0 + 30_000,
        payloadHash: payloadHashOf(intent),
        unconfirmedSend: true,
        failureAttempts: 0,
      },
    });
  });

  it('GIVEN five messages WHEN they claim one new intent at once THEN exactly one wins and the others see its owner', async () => {
    const intent = freshIntent();
    const claims = await Promise.all(
      ['a', 'b', 'c', 'd', 'e'].map((owner) => store.claim(intent, claimBy(intent, owner), T0)),
    );
    const winners = claims.filter((c) => c.kind === 'claimed');
    const owners = new Set(claims.map((c) => (c.kind === 'refused' ? c.current.owner : 'winner')));
    expect({ winners: winners.length, ownersSeen: owners.size }).toEqual({ winners: 1, ownersSeen: 2 });
  });

  it('GIVEN a claimed intent WHEN the same message claims it again (a redelivery) THEN it wins and sees the record as it was', async () => {
    const intent = freshIntent();
    await store.claim(intent, claimBy(intent, 'm1'), T0);
    const again = await store.claim(intent, claimBy(intent, 'm1'), T0 + 1000);
    expect(again).toMatchObject({ kind: 'claimed', previous: { owner: 'm1', unconfirmedSend: true } });
  });

  it('GIVEN an owner whose ownership expired WHEN another message claims THEN it wins', async () => {
    const intent = freshIntent();
    await store.claim(intent, claimBy(intent, 'm1'), T0);
    const later = await store.claim(intent, claimBy(intent, 'm2', { ownerExpiresAt: T0 + 90_000 }), T0 + 31_000);
    expect(later.kind).toBe('claimed');
  });

  it('GIVEN a succeeded record WHEN it is claimed, released, dead-lettered or succeeded again THEN every write is refused and the result stays', async () => {
    const intent = freshIntent();
    await store.claim(intent, claimBy(intent, 'm1'), T0);
    await store.succeed(intent, 'm1', outcome, T0);
    const writes = {
      claim: (await store.claim(intent, claimBy(intent, 'm2'), T0 + 1)).kind,
      release: await store.release(intent, 'm1', { unconfirmedSend: false }, T0 + 2),
      deadLetter: await store.deadLetter(intent, 'm1', { reason: 'x', deadLetterId: 'd', countFailure: false }, T0 + 3),
      succeed: await store.succeed(intent, 'm1', { httpStatus: 200 }, T0 + 4),
      reopen: (await store.reopen(intent, claimBy(intent, 'm3'), 'd', T0 + 5)).kind,
    };
    expect({ writes, record: await store.get(intent.id) }).toMatchObject({
      writes: { claim: 'refused', release: false, deadLetter: false, succeed: false, reopen: 'refused' },
      record: { status: 'succeeded', result: outcome },
    });
  });

  it('GIVEN a record WHEN another payload claims the same id THEN it is refused and the record is untouched', async () => {
    const intent = freshIntent('ada@example.com');
    await store.claim(intent, claimBy(intent, 'm1'), T0);
    await store.release(intent, 'm1', { unconfirmedSend: false }, T0);
    const other = {
      ...intent,
      operation: { ...intent.operation, attributes: { emails: ['bob@example.com'] } },
    } as Intent;
    const refused = await store.claim(other, claimBy(other, 'm2'), T0 + 1);
    expect(refused).toMatchObject({ kind: 'refused', current: { payloadHash: payloadHashOf(intent), updatedAt: T0 } });
  });

  it('GIVEN a record owned by one message WHEN another message releases or dead-letters it THEN nothing is written', async () => {
    const intent = freshIntent();
    await store.claim(intent, claimBy(intent, 'm1'), T0);
    const writes = [
      await store.release(intent, 'm2', { unconfirmedSend: false }, T0 + 1),
      await store.deadLetter(intent, 'm2', { reason: 'x', deadLetterId: 'd', countFailure: false }, T0 + 1),
    ];
    expect({ writes, record: await store.get(intent.id) }).toMatchObject({
      writes: [false, false],
      record: { status: 'in-progress', owner: 'm1', updatedAt: T0 },
    });
  });

  it('GIVEN a failed attempt WHEN the owner releases it THEN the failure is counted, the owner cleared and "sent, outcome unknown" kept', async () => {
    const intent = freshIntent();
    await store.claim(intent, claimBy(intent, 'm1'), T0);
    await store.release(intent, 'm1', { unconfirmedSend: true, failure: { kind: 'timeout' } }, T0 + 1);
    const record = await store.get(intent.id);
    expect({ owner: record?.owner, failures: record?.failureAttempts, unconfirmed: record?.unconfirmedSend }).toEqual({
      owner: undefined,
      failures: 1,
      unconfirmed: true,
    });
  });

  it('GIVEN a failed attempt WHEN a re-sent copy (another message) claims the intent and fails too THEN the record keeps the count and the time of the first failure', async () => {
    const intent = freshIntent();
    await store.claim(intent, claimBy(intent, 'm1'), T0);
    await store.release(intent, 'm1', { unconfirmedSend: false, failure: { kind: 'http', status: 503 } }, T0 + 10);
    const resent = await store.claim(intent, claimBy(intent, 'm2'), T0 + 20);
    await store.release(intent, 'm2', { unconfirmedSend: false, failure: { kind: 'http', status: 502 } }, T0 + 30);
    const record = await store.get(intent.id);
    expect({
      seenByTheCopy: resent.kind === 'claimed' ? resent.previous?.firstFailedAt : resent.kind,
      failures: record?.failureAttempts,
      firstFailedAt: record?.firstFailedAt,
    }).toEqual({ seenByTheCopy: T0 + 10, failures: 2, firstFailedAt: T0 + 10 });
  });

  it('GIVEN a deferral without a failure WHEN it is released THEN no first failure time is written', async () => {
    const intent = freshIntent();
    await store.claim(intent, claimBy(intent, 'm1'), T0);
    await store.release(intent, 'm1', { unconfirmedSend: false }, T0 + 10);
    expect((await store.get(intent.id))?.firstFailedAt).toBeUndefined();
  });

  it('GIVEN an intent dead-lettered after failures WHEN its copy is redriven THEN the count and the first failure time start afresh', async () => {
    const intent = freshIntent();
    await store.claim(intent, claimBy(intent, 'm1'), T0);
    await store.release(intent, 'm1', { unconfirmedSend: false, failure: { kind: 'timeout' } }, T0 + 10);
    await store.claim(intent, claimBy(intent, 'm1'), T0 + 20);
    await store.deadLetter(
      intent,
      'm1',
      { reason: 'attempts-exhausted', deadLetterId: 'd1', countFailure: true },
      T0 + 30,
    );
    const deadLettered = await store.get(intent.id);
    await store.reopen(intent, claimBy(intent, 'm2'), 'd1', T0 + 40);
    const reopened = await store.get(intent.id);
    expect({
      before: { failures: deadLettered?.failureAttempts, firstFailedAt: deadLettered?.firstFailedAt },
      after: { failures: reopened?.failureAttempts, firstFailedAt: reopened?.firstFailedAt },
    }).toEqual({ before: { failures: 2, firstFailedAt: T0 + 10 }, after: { failures: 0, firstFailedAt: undefined } });
  });

  it('GIVEN a deferral before any send WHEN the owner releases it THEN "a send may happen" is cleared', async () => {
    const intent = freshIntent();
    await store.claim(intent, claimBy(intent, 'm1'), T0);
    await store.release(intent, 'm1', { unconfirmedSend: false }, T0 + 1);
    expect((await store.get(intent.id))?.unconfirmedSend).toBeUndefined();
  });

  it('GIVEN a dead-lettered record WHEN a redrive names another dead-letter id THEN it is refused; with its own id THEN it re-opens with no failures', async () => {
    const intent = freshIntent();
    await store.claim(intent, claimBy(intent, 'm1'), T0);
    await store.deadLetter(intent, 'm1', { reason: 'attempts-exhausted', deadLetterId: 'd1', countFailure: true }, T0);
    const wrong = await store.reopen(intent, claimBy(intent, 'm2'), 'd0', T0 + 1);
    const right = await store.reopen(intent, claimBy(intent, 'm2'), 'd1', T0 + 2);
    const record = await store.get(intent.id);
    expect({
      wrong: wrong.kind,
      right,
      record,
      keepsDeadLetterId: record !== undefined && 'deadLetterId' in record,
    }).toMatchObject({
      wrong: 'refused',
      right: { kind: 'claimed', previous: { status: 'dead-lettered', deadLetterId: 'd1' } },
      record: { status: 'in-progress', owner: 'm2', failureAttempts: 0, redrives: 1 },
      keepsDeadLetterId: false,
    });
  });

  it('GIVEN a dead-lettered record WHEN two copies of one redrive re-open it at once THEN exactly one wins', async () => {
    const intent = freshIntent();
    await store.claim(intent, claimBy(intent, 'm1'), T0);
    await store.deadLetter(intent, 'm1', { reason: 'ambiguous', deadLetterId: 'd1', countFailure: false }, T0);
    const reopens = await Promise.all(
      ['r1', 'r2', 'r3'].map((owner) => store.reopen(intent, claimBy(intent, owner), 'd1', T0 + 1)),
    );
    expect(reopens.filter((r) => r.kind === 'claimed')).toHaveLength(1);
  });

  it('GIVEN a dead-lettered record WHEN a plain claim arrives THEN it is refused with the record, reason and dead-letter id', async () => {
    const intent = freshIntent();
    await store.claim(intent, claimBy(intent, 'm1'), T0);
    await store.deadLetter(intent, 'm1', { reason: 'rejected', deadLetterId: 'd1', countFailure: false }, T0);
    expect(await store.claim(intent, claimBy(intent, 'm2'), T0 + 1)).toMatchObject({
      kind: 'refused',
      current: { status: 'dead-lettered', deadLetterReason: 'rejected', deadLetterId: 'd1', deadLetteredBy: 'm1' },
    });
  });
});
