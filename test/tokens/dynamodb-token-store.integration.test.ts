import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbTokenStore, TokenStoreError } from '../../lambdas/adapters/dynamodb-token-store';
import { TABLE_KEYS, tokenKey } from '../../lambdas/shared/names';
import type { LockRequest, TokenRecord } from '../../lambdas/tokens/ports';
import { useDynamoDbLocal } from '../support/dynamodb';

const ddb = useDynamoDbLocal();
let tableName: string;
let store: DynamoDbTokenStore;
let userCounter = 0;

beforeAll(async () => {
  tableName = await ddb.createGateTable();
  store = new DynamoDbTokenStore(ddb.documentClient, { tableName });
});

/** A user no other test touches. */
const freshUser = () => `token-user-${++userCounter}`;
const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);
const INTERVAL = 60_000;

const lockRequest = (fields: Partial<LockRequest> = {}): LockRequest => ({
  owner: 'me',
  now: T0,
  lockUntil: T0 + 25_000,
  minMintIntervalMs: INTERVAL,
  seenRefreshAt: undefined,
  ...fields,
});

async function putItem(user: string, item: object): Promise<void> {
  await ddb.documentClient.send(
    new PutCommand({ TableName: tableName, Item: { [TABLE_KEYS.partitionKey]: tokenKey(user), ...item } }),
  );
}

async function rawItem(user: string): Promise<Record<string, unknown> | undefined> {
  const output = await ddb.documentClient.send(
    new GetCommand({ TableName: tableName, Key: { [TABLE_KEYS.partitionKey]: tokenKey(user) }, ConsistentRead: true }),
  );
  return output.Item;
}

const minted = {
  accessToken: 'ACCESS-1',
  accessTokenExpiresAt: T0 + 7_200_000,
  refreshAt: T0 + 6_480_000,
  refreshToken: 'REFRESH-1',
  mintedAt: T0,
};

describe('DynamoDbTokenStore: two instances with clocks 1.5 s apart and a 1.5 s skew margin', () => {
  const APART = 1500;

  it('GIVEN the instance behind mints WHEN the instance ahead asks for the lock through the next minute THEN it never gets it before 60 s have passed on the minting clock', async () => {
    const user = freshUser();
    await store.tryLock(user, lockRequest({ owner: 'behind' }));
    await store.saveMinted(user, 'behind', minted);
    const grantedAt: number[] = [];
    for (let t = T0; t <= T0 + INTERVAL + 2_000; t += 500) {
      const aheadNow = t + APART;
      const request = lockRequest({
        owner: `ahead-${t}`,
        now: aheadNow,
        lockUntil: aheadNow + 25_000,
        clockSkewMs: APART,
      });
      const result = await store.tryLock(user, { ...request, seenRefreshAt: minted.refreshAt });
      if (result.written) {
        grantedAt.push(t);
        await store.releaseLock(user, `ahead-${t}`);
      }
    }
    expect(grantedAt.length).toBeGreaterThan(0);
    expect(Math.min(...grantedAt)).toBeGreaterThanOrEqual(T0 + INTERVAL);
  });

  it('GIVEN a lock taken by the instance behind WHEN the instance ahead sees it lapse on its own clock THEN it waits out the skew before taking it', async () => {
    const user = freshUser();
    await store.tryLock(user, lockRequest({ owner: 'behind' }));
    const justLapsedAhead = T0 + 25_000 + 1;

    const early = await store.tryLock(user, lockRequest({ owner: 'ahead', now: justLapsedAhead, clockSkewMs: APART }));
    const late = await store.tryLock(
      user,
      lockRequest({ owner: 'ahead', now: justLapsedAhead + APART, clockSkewMs: APART }),
    );

    expect([early.written, late.written]).toEqual([false, true]);
  });
});

describe('DynamoDbTokenStore: failed refreshes and pauses', () => {
  it('GIVEN the lock WHEN a refresh failure pauses the user THEN the lock is gone and the backoff, count and pause are stored', async () => {
    const user = freshUser();
    await store.tryLock(user, lockRequest());

    await store.releaseAfterFailure(user, 'me', {
      retryAt: T0 + 60_000,
      failures: 2,
      pause: { at: T0, reason: 'invalid_grant', secretHash: 'abc' },
    });

    expect(await store.read(user)).toEqual({
      mintBlockedUntil: T0 + 60_000,
      refreshFailures: 2,
      pausedAt: T0,
      pausedReason: 'invalid_grant',
      pausedSecretHash: 'abc',
    });
  });

  it('GIVEN a paused user WHEN a mint is stored THEN the failure count and the pause are gone', async () => {
    const user = freshUser();
    await store.tryLock(user, lockRequest());
    await store.releaseAfterFailure(user, 'me', {
      retryAt: T0,
      failures: 3,
      pause: { at: T0, reason: 'invalid_grant', secretHash: 'abc' },
    });
    await store.tryLock(user, lockRequest({ now: T0 + 1 }));

    await store.saveMinted(user, 'me', minted);

    const item = await store.read(user);
    expect([item?.refreshFailures, item?.pausedAt, item?.pausedReason, item?.pausedSecretHash]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('GIVEN someone else holds the lock WHEN a failure is recorded by this owner THEN nothing changes', async () => {
    const user = freshUser();
    await store.tryLock(user, lockRequest({ owner: 'other' }));

    await store.releaseAfterFailure(user, 'me', { retryAt: T0 + 5_000, failures: 1 });

    expect(await store.read(user)).toEqual({ lockOwner: 'other', lockUntil: T0 + 25_000 });
  });
});

describe('DynamoDbTokenStore: the refresh lock', () => {
  it('GIVEN no item WHEN the lock is asked for THEN it is taken and the item holds its owner and expiry', async () => {
    const user = freshUser();

    expect(await store.tryLock(user, lockRequest())).toEqual({
      written: true,
      current: { lockOwner: 'me', lockUntil: T0 + 25_000 },
    });
    expect(await store.read(user)).toEqual({ lockOwner: 'me', lockUntil: T0 + 25_000 });
  });

  it('GIVEN a stored refresh token WHEN the lock is taken THEN the item as locked comes back with it', async () => {
    const user = freshUser();
    await store.saveRefreshToken(user, 'REFRESH-NOW');

    const result = await store.tryLock(user, lockRequest());

    expect(result.current?.refreshToken).toBe('REFRESH-NOW');
  });

  it.each<[string, TokenRecord, Partial<LockRequest>]>([
    ['a live lock', { lockOwner: 'other', lockUntil: T0 }, {}],
    ['a mint 10 s ago', { lastMintAt: T0 - 10_000 }, {}],
    ['a 429 block until later', { mintBlockedUntil: T0 + 1 }, {}],
    ['a refreshAt other than the one seen', { refreshAt: T0 + 5 }, { seenRefreshAt: T0 - 5 }],
    ['a refreshAt where none was seen', { refreshAt: T0 - 5 }, { seenRefreshAt: undefined }],
  ])(
    'GIVEN %s WHEN the lock is asked for THEN it is refused with the item as it stands',
    async (_given, item, request) => {
      const user = freshUser();
      await putItem(user, item);

      expect(await store.tryLock(user, lockRequest(request))).toEqual({ written: false, current: item });
    },
  );

  it.each<[string, TokenRecord, Partial<LockRequest>]>([
    ['a lapsed lock', { lockOwner: 'other', lockUntil: T0 - 1 }, {}],
    ['a mint exactly one interval ago', { lastMintAt: T0 - INTERVAL }, {}],
    ['a 429 block that ends now', { mintBlockedUntil: T0 }, {}],
    ['the refreshAt that was seen', { refreshAt: T0 - 5 }, { seenRefreshAt: T0 - 5 }],
  ])('GIVEN %s WHEN the lock is asked for THEN it is taken', async (_given, item, request) => {
    const user = freshUser();
    await putItem(user, item);

    expect((await store.tryLock(user, lockRequest(request))).written).toBe(true);
  });

  it('GIVEN 20 callers WHEN they ask for the lock at once THEN exactly one gets it', async () => {
    const user = freshUser();

    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => store.tryLock(user, lockRequest({ owner: `owner-${i}` }))),
    );

    expect(results.filter((r) => r.written)).toHaveLength(1);
  });

  it('GIVEN the lock WHEN released with a 429 block THEN the lock is gone and the block stored', async () => {
    const user = freshUser();
    await store.tryLock(user, lockRequest());

    await store.releaseLock(user, 'me', T0 + 60_000);

    expect(await store.read(user)).toEqual({ mintBlockedUntil: T0 + 60_000 });
  });

  it('GIVEN someone else holds the lock WHEN this owner releases THEN their lock stays', async () => {
    const user = freshUser();
    await store.tryLock(user, lockRequest({ owner: 'other' }));

    await store.releaseLock(user, 'me');

    expect((await store.read(user))?.lockOwner).toBe('other');
  });
});

describe('DynamoDbTokenStore: storing a mint', () => {
  it('GIVEN the lock WHEN a mint is stored THEN tokens, times and lastMintAt are written and the lock removed', async () => {
    const user = freshUser();
    await store.tryLock(user, lockRequest());

    expect(await store.saveMinted(user, 'me', minted)).toEqual({ written: true });
    expect(await store.read(user)).toEqual({
      accessToken: 'ACCESS-1',
      accessTokenExpiresAt: T0 + 7_200_000,
      refreshAt: T0 + 6_480_000,
      refreshToken: 'REFRESH-1',
      lastMintAt: T0,
    });
  });

  it('GIVEN a stored mint WHEN the raw item is read THEN it has no TTL attribute, so it never expires with the refresh token in it', async () => {
    const user = freshUser();
    await store.tryLock(user, lockRequest());
    await store.saveMinted(user, 'me', minted);

    expect(await rawItem(user)).not.toHaveProperty(TABLE_KEYS.ttlAttribute);
  });

  it('GIVEN the lock was taken over WHEN the old owner stores a mint THEN the write is refused', async () => {
    const user = freshUser();
    await store.tryLock(user, lockRequest({ owner: 'other' }));

    const result = await store.saveMinted(user, 'me', minted);

    expect(result).toEqual({ written: false, current: { lockOwner: 'other', lockUntil: T0 + 25_000 } });
  });

  it('GIVEN any item WHEN a refresh token is stored alone THEN it is written whoever holds the lock', async () => {
    const user = freshUser();
    await store.tryLock(user, lockRequest({ owner: 'other' }));

    await store.saveRefreshToken(user, 'REFRESH-NEWEST');

    expect(await store.read(user)).toMatchObject({ refreshToken: 'REFRESH-NEWEST', lockOwner: 'other' });
  });
});

describe('DynamoDbTokenStore: a refused access token', () => {
  it('GIVEN the stored token WHEN it is marked refused THEN it is removed and due at once', async () => {
    const user = freshUser();
    await store.tryLock(user, lockRequest());
    await store.saveMinted(user, 'me', minted);

    expect(await store.markRefused(user, 'ACCESS-1')).toBe(true);
    expect(await store.read(user)).toEqual({
      refreshAt: 0,
      accessTokenExpiresAt: 0,
      refreshToken: 'REFRESH-1',
      lastMintAt: T0,
    });
  });

  it('GIVEN a newer stored token WHEN an older one is marked refused THEN nothing changes', async () => {
    const user = freshUser();
    await store.tryLock(user, lockRequest());
    await store.saveMinted(user, 'me', minted);

    expect(await store.markRefused(user, 'ACCESS-0')).toBe(false);
    expect((await store.read(user))?.accessToken).toBe('ACCESS-1');
  });
});

describe('DynamoDbTokenStore: bad items and input', () => {
  it.each([
    [{ refreshAt: 'soon' }, /attribute refreshAt must be a number/],
    [{ refreshToken: 42 }, /attribute refreshToken must be a non-empty string/],
  ])('GIVEN an item with %j WHEN read THEN a TokenStoreError names the attribute', async (item, message) => {
    const user = freshUser();
    await putItem(user, item);

    await expect(store.read(user)).rejects.toThrow(message);
  });

  it('GIVEN a malformed access token WHEN the error is raised THEN it does not quote the value', async () => {
    const user = freshUser();
    await putItem(user, { accessToken: ['SECRET-IN-A-LIST'] });

    await expect(store.read(user)).rejects.not.toThrow(/SECRET-IN-A-LIST/);
  });

  it.each([
    ['an empty user', () => store.read('')],
    ['an empty owner', () => store.tryLock('u', lockRequest({ owner: '' }))],
    ['a negative lockUntil', () => store.tryLock('u', lockRequest({ lockUntil: -1 }))],
    ['an empty refresh token', () => store.saveRefreshToken('u', '')],
  ])('GIVEN %s WHEN called THEN a TokenStoreError says what is wrong', async (_given, call) => {
    await expect(call()).rejects.toThrow(TokenStoreError);
  });

  it('GIVEN an empty table name WHEN the store is built THEN it refuses', () => {
    expect(() => new DynamoDbTokenStore(ddb.documentClient, { tableName: ' ' })).toThrow(/tableName/);
  });

  it('GIVEN a table that does not exist WHEN read THEN the error names the user and the table', async () => {
    const missing = new DynamoDbTokenStore(ddb.documentClient, { tableName: 'no-such-table' });

    await expect(missing.read('u1')).rejects.toThrow(/"u1" from table no-such-table/);
  });
});
