import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDbGateStore, itemToState, toUpdateExpression } from '../../lambdas/adapters/dynamodb-gate-store';
import { GateStoreError, GateUnavailableError } from '../../lambdas/gate';
import { formatLease } from '../../lambdas/gate/lease';
import { resolveGateSettings } from '../../lib/settings';

const config = resolveGateSettings().gate;
const now = Date.UTC(2026, 0, 15, 12, 0, 0);
const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const ddbMock = mockClient(documentClient);

beforeEach(() => ddbMock.reset());

const store = () =>
  new DynamoDbGateStore(documentClient, { tableName: 'gate', config, clock: () => now, random: () => 0 });

describe('toUpdateExpression', () => {
  it('GIVEN an admission patch WHEN translated THEN every condition and write appears, with reserved words escaped', () => {
    const parts = toUpdateExpression(
      {
        conditions: [
          { kind: 'slot-free', slot: 3, now },
          { kind: 'absent-or-at-most', attribute: 'cooldownUntil', value: now },
          { kind: 'equals', attribute: 'limit', value: undefined },
        ],
        set: {},
        add: { spent: 1 },
        remove: [],
        takeSlot: { slot: 3, expiresAt: now + 30_000 },
      },
      formatLease(now + 30_000, 'me'),
    );
    expect(parts.ConditionExpression).toBe(
      '(attribute_not_exists(#lease3) OR #lease3 < :v0) AND (attribute_not_exists(#cooldownUntil) OR #cooldownUntil <= :v1) AND attribute_not_exists(#limit)',
    );
    expect(parts.UpdateExpression).toBe('SET #lease3 = :v2 ADD #spent :v3, #rev :v4');
    expect(parts.ExpressionAttributeValues).toEqual({
      ':v0': String(now + 1),
      ':v1': now,
      ':v2': formatLease(now + 30_000, 'me'),
      ':v3': 1,
      ':v4': 1,
    });
  });
});

describe('itemToState', () => {
  it('GIVEN an item in DynamoDB wire form WHEN read THEN numbers and leases are decoded', () => {
    const token = formatLease(now, 'x');
    expect(itemToState({ pk: { S: 'gate#u' }, spent: { N: '4' }, lease1: { S: token }, rev: { N: '9' } }, 'u')).toEqual(
      {
        state: { spent: 4, leases: { 1: { expiresAt: now, token } } },
        revision: 9,
      },
    );
  });

  it.each([
    ['a lease that is not a lease string', { lease2: 'garbage' }, /attribute lease2: lease value "garbage"/],
    ['a number attribute holding a string', { cooldownUntil: 'soon' }, /attribute cooldownUntil must be a number/],
  ])('GIVEN %s WHEN read THEN it fails naming the user and attribute', (_case, item, message) => {
    expect(() => itemToState(item, 'alice')).toThrow(GateStoreError);
    expect(() => itemToState(item, 'alice')).toThrow(message);
  });
});

describe('DynamoDbGateStore (SDK boundary)', () => {
  it('GIVEN DynamoDB failing with a throttling error WHEN acquiring THEN the error names the user and table', async () => {
    ddbMock.on(UpdateCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    await expect(store().acquire('alice', 'bulk')).rejects.toThrow(
      'updating the gate of user "alice" in table gate failed: ThrottlingException: Rate exceeded',
    );
  });

  it('GIVEN DynamoDB throttling WHEN acquiring THEN the error is a wait (GateUnavailableError) suggesting 1 s', async () => {
    ddbMock.on(UpdateCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    const error = await store()
      .acquire('alice', 'bulk')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GateUnavailableError);
    expect((error as GateUnavailableError).retryAfterMs).toBe(1000);
  });

  it('GIVEN DynamoDB rejecting the request as invalid WHEN acquiring THEN the error is not a wait', async () => {
    ddbMock.on(UpdateCommand).rejects(Object.assign(new Error('bad expression'), { name: 'ValidationException' }));
    const error = await store()
      .acquire('alice', 'bulk')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GateStoreError);
    expect(error).not.toBeInstanceOf(GateUnavailableError);
  });

  it('GIVEN every write losing its condition WHEN acquiring THEN a short lease wait comes back after the attempt limit', async () => {
    ddbMock
      .on(UpdateCommand)
      .rejects(
        new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, Item: {} }),
      );
    const result = await store().acquire('alice', 'bulk');
    expect(result).toMatchObject({ kind: 'wait', reason: 'lease' });
    expect(ddbMock.commandCalls(UpdateCommand)).toHaveLength(8);
  });

  it.each([
    ['an empty user', '', 'bulk', /user must be a non-empty string/],
    ['an unknown lane', 'alice', 'urgent', /unknown lane "urgent"/],
  ])('GIVEN %s WHEN acquiring THEN it fails naming the bad input', async (_case, user, lane, message) => {
    await expect(store().acquire(user, lane as 'bulk')).rejects.toThrow(message);
  });

  it.each([
    ['a slot outside the cap', { slot: 10 }, /lease slot must be an integer from 0 to 9/],
    ['a forged token', { token: 'mine' }, /invalid token/],
  ])('GIVEN a lease with %s WHEN released THEN it fails naming the problem', async (_case, fields, message) => {
    const lease = {
      kind: 'lease' as const,
      user: 'alice',
      lane: 'bulk' as const,
      slot: 1,
      token: formatLease(now + 30_000, 'me'),
      expiresAt: now + 30_000,
      inFlight: 1,
      remainingEstimate: 1,
      ...fields,
    };
    await expect(store().release(lease, { status: 200 })).rejects.toThrow(message);
  });

  it('GIVEN an invalid upstream status WHEN released THEN it fails naming the status', async () => {
    ddbMock.on(GetCommand).resolves({});
    const token = formatLease(now + 30_000, 'me');
    const lease = {
      kind: 'lease' as const,
      user: 'alice',
      lane: 'bulk' as const,
      slot: 1,
      token,
      expiresAt: now + 30_000,
      inFlight: 1,
      remainingEstimate: 1,
    };
    await expect(store().release(lease, { status: 999 })).rejects.toThrow(/upstream status must be an HTTP status/);
  });
});
