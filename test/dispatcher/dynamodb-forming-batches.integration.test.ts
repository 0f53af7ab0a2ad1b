import { DynamoDbFormingBatches } from '../../lambdas/adapters/dynamodb-forming-batches';
import { DynamoDbIntentStore } from '../../lambdas/adapters/dynamodb-intent-store';
import { JOIN_SLACK_MS, latestOpeningFor, staleAfterMs } from '../../lambdas/dispatcher/coalesce-rules';
import type { BatchMember } from '../../lambdas/dispatcher/ports';
import { parseIntent } from '../../lambdas/shared/intent';
import { payloadHashOf } from '../../lambdas/shared/intent-record';
import { coalesceKey } from '../../lambdas/shared/names';
import { useDynamoDbLocal } from '../support/dynamodb';

const ddb = useDynamoDbLocal();
const settings = { maxSize: 5, maxAgeMs: 2000 };
// Now, not a fixed date: DynamoDB Local deletes items whose TTL has passed.
const T0 = Date.now();
let batches: DynamoDbFormingBatches;
let tableName: string;
let keys = 0;

beforeAll(async () => {
  tableName = await ddb.createGateTable();
  batches = new DynamoDbFormingBatches(ddb.documentClient, { tableName, settings });
});

/** A key no other test uses. */
const freshKey = () => coalesceKey('u1', ++keys, 1);

const member = (n: number): BatchMember => ({
  intentId: `enrol-${n}`,
  messageId: `m-${n}`,
  receiptHandle: `rh-${n}`,
  lane: 'bulk',
  groupId: `u1:prospect:${n}`,
  body: JSON.stringify({ id: `enrol-${n}` }),
  sentAt: T0 - n,
});

const members = (from: number, count: number) => Array.from({ length: count }, (_, i) => member(from + i));

/** A join asked at `now` by members claimed at `claimedAt` (by default just then). */
const join = (key: string, joining: readonly BatchMember[], now: number, claimedAt = now) =>
  batches.join(key, joining, now, latestOpeningFor(claimedAt));

describe('DynamoDbFormingBatches on DynamoDB Local', () => {
  it('GIVEN no forming batch WHEN members join THEN they open one and are told so', async () => {
    const result = await join(freshKey(), members(1, 3), T0);
    expect({ joined: result.joined.length, left: result.left.length, batch: result.batch }).toMatchObject({
      joined: 3,
      left: 0,
      batch: { opened: true, count: 3, openedAt: T0 },
    });
  });

  it('GIVEN a forming batch WHEN more members join THEN they join it, not open another', async () => {
    const key = freshKey();
    const first = await join(key, members(1, 2), T0);
    const second = await join(key, members(3, 2), T0 + 100);
    expect(second.batch).toEqual({ key, batchKey: first.batch?.batchKey, openedAt: T0, count: 4, opened: false });
  });

  it('GIVEN a batch with room for one WHEN three members join THEN they open the next forming batch of the key together', async () => {
    const key = freshKey();
    await join(key, members(1, 4), T0);
    const result = await join(key, members(5, 3), T0 + 100);
    expect({
      joined: result.joined.map((m) => m.intentId),
      left: result.left.length,
      batch: result.batch && { key: result.batch.key, opened: result.batch.opened, count: result.batch.count },
    }).toEqual({
      joined: ['enrol-5', 'enrol-6', 'enrol-7'],
      left: 0,
      batch: { key: `${key}#1`, opened: true, count: 3 },
    });
  });

  it('GIVEN two joiners racing for the last place of a batch THEN exactly one gets it and the other opens the next batch', async () => {
    const key = freshKey();
    const first = await join(key, members(1, 4), T0);
    const [a, b] = await Promise.all([join(key, [member(10)], T0 + 1), join(key, [member(11)], T0 + 1)]);
    const sealed = await batches.seal(key, first.batch?.batchKey ?? '', T0 + 2);
    expect({
      keys: [a.batch?.key, b.batch?.key].sort(),
      sealed: sealed?.length,
    }).toEqual({ keys: [key, `${key}#1`], sealed: 5 });
  });

  it('GIVEN every forming batch of a key full WHEN members join THEN none is taken in and all take the single path', async () => {
    const key = freshKey();
    for (let slot = 0; slot < 4; slot++) await join(key, members(10 * slot + 1, 5), T0);
    const result = await join(key, members(100, 2), T0 + 1);
    expect({ joined: result.joined.length, left: result.left.length }).toEqual({ joined: 0, left: 2 });
  });

  it('GIVEN every other forming batch full and the last with room for one WHEN three members join THEN one fills it and two are left', async () => {
    const key = freshKey();
    for (let slot = 0; slot < 3; slot++) await join(key, members(10 * slot + 1, 5), T0);
    await join(key, members(31, 4), T0);
    const result = await join(key, members(100, 3), T0 + 1);
    expect({
      joined: result.joined.map((m) => m.intentId),
      left: result.left.map((m) => m.intentId),
      key: result.batch?.key,
    }).toEqual({ joined: ['enrol-100'], left: ['enrol-101', 'enrol-102'], key: `${key}#3` });
  });

  it('GIVEN a forming batch older than the window and its grace (its opener died) WHEN a member joins THEN it replaces it with a fresh batch', async () => {
    const key = freshKey();
    const old = await join(key, members(1, 2), T0);
    const later = T0 + staleAfterMs(settings) + 1;
    const fresh = await join(key, [member(3)], later);
    const sealedByOldOpener = await batches.seal(key, old.batch?.batchKey ?? '', later + 1);
    const sealed = await batches.seal(key, fresh.batch?.batchKey ?? '', later + 1);
    expect({
      opened: fresh.batch?.opened,
      newKey: fresh.batch?.batchKey !== old.batch?.batchKey,
      sealedByOldOpener,
      members: sealed?.map((m) => m.intentId),
    }).toEqual({ opened: true, newKey: true, sealedByOldOpener: undefined, members: ['enrol-3'] });
  });

  it('GIVEN a forming batch past its window and grace that no joiner replaced WHEN its opener seals it late in its invocation THEN the opener gets every member', async () => {
    const key = freshKey();
    const joined = await join(key, members(1, 3), T0);
    const sealed = await batches.seal(key, joined.batch?.batchKey ?? '', T0 + staleAfterMs(settings) + 5000);
    expect(sealed?.map((m) => m.intentId).sort()).toEqual(['enrol-1', 'enrol-2', 'enrol-3']);
  });

  it('GIVEN a forming batch opened after the slack since the members were claimed WHEN their join reaches the table late THEN they pass it over and open the next batch of the key', async () => {
    const key = freshKey();
    const claimedAt = T0;
    const opener = await join(key, members(1, 2), claimedAt + JOIN_SLACK_MS + 1000);
    const late = await join(key, [member(3)], claimedAt + 100, claimedAt);
    const sealed = await batches.seal(key, opener.batch?.batchKey ?? '', claimedAt + JOIN_SLACK_MS + 2000);
    expect({
      late: late.batch && { key: late.batch.key, opened: late.batch.opened, openedAt: late.batch.openedAt },
      sealedByTheLaterOpener: sealed?.map((m) => m.intentId).sort(),
    }).toEqual({
      late: { key: `${key}#1`, opened: true, openedAt: claimedAt + 100 },
      sealedByTheLaterOpener: ['enrol-1', 'enrol-2'],
    });
  });

  it('GIVEN members claimed longer ago than the slack WHEN they join THEN none is taken in and all take the single path', async () => {
    const key = freshKey();
    const result = await join(key, members(1, 2), T0 + JOIN_SLACK_MS + 1, T0);
    const next = await join(key, [member(3)], T0 + JOIN_SLACK_MS + 2);
    expect({ joined: result.joined.length, left: result.left.length, nextOpened: next.batch?.opened }).toEqual({
      joined: 0,
      left: 2,
      nextOpened: true,
    });
  });

  it('GIVEN a forming batch WHEN it is sealed THEN the sealer gets every member as it joined', async () => {
    const key = freshKey();
    const joined = await join(key, members(1, 3), T0);
    const sealed = await batches.seal(key, joined.batch?.batchKey ?? '', T0 + 10);
    expect(sealed?.sort((x, y) => x.intentId.localeCompare(y.intentId))).toEqual(members(1, 3));
  });

  it('GIVEN two sealers of one batch THEN exactly one gets its members', async () => {
    const key = freshKey();
    const joined = await join(key, members(1, 3), T0);
    const batchKey = joined.batch?.batchKey ?? '';
    const results = await Promise.all([batches.seal(key, batchKey, T0 + 1), batches.seal(key, batchKey, T0 + 1)]);
    expect(results.map((r) => r?.length).sort()).toEqual([3, undefined]);
  });

  it('GIVEN a sealed batch WHEN a member joins THEN it opens a fresh batch', async () => {
    const key = freshKey();
    const first = await join(key, members(1, 2), T0);
    await batches.seal(key, first.batch?.batchKey ?? '', T0 + 1);
    const next = await join(key, [member(3)], T0 + 2);
    expect({
      opened: next.batch?.opened,
      count: next.batch?.count,
      other: next.batch?.batchKey !== first.batch?.batchKey,
    }).toEqual({
      opened: true,
      count: 1,
      other: true,
    });
  });
});

describe('DynamoDbIntentStore: an exclusive claim (a gathered enrolment)', () => {
  it('GIVEN a record its batch owns WHEN the same owner claims it exclusively again THEN the claim is refused', async () => {
    const store = new DynamoDbIntentStore(ddb.documentClient, { tableName, recordTtlSeconds: 3600 });
    const intent = parseIntent({
      v: 1,
      id: 'enrol-exclusive',
      user: 'u1',
      lane: 'bulk',
      operation: { type: 'sequenceState.create', prospectId: 1, sequenceId: 1, mailboxId: 1 },
    });
    const request = {
      owner: 'coalesce:m-1',
      ownerExpiresAt: T0 + 60_000,
      payloadHash: payloadHashOf(intent),
      guardSend: true,
      exclusive: true,
    };
    const first = await store.claim(intent, request, T0);
    const again = await store.claim(intent, request, T0 + 1);
    expect({ first: first.kind, again: again.kind }).toEqual({ first: 'claimed', again: 'refused' });
  });
});
