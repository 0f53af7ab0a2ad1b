import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbGateStore } from '../../lambdas/adapters/dynamodb-gate-store';
import { GateStoreError, GateUnavailableError } from '../../lambdas/gate';
import type { Lease, Wait } from '../../lambdas/gate/port';
import { resolveGateSettings } from '../../lib/settings';
import { freePort } from '../../local/emulators/dynamodb';
import { useDynamoDbLocal } from '../support/dynamodb';

const ddb = useDynamoDbLocal();
let tableName: string;
let userCounter = 0;

beforeAll(async () => {
  tableName = await ddb.createGateTable();
});

const freshUser = () => `skew-user-${++userCounter}`;
const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);

function expectLease(result: Lease | Wait): Lease {
  if (result.kind !== 'lease') throw new Error(`expected a lease, got ${JSON.stringify(result)}`);
  return result;
}

/** Two dispatchers whose clocks are `apartMs` apart: `behind` reads the true time, `ahead` the true time + apartMs. */
function twoClocks(apartMs: number, clockSkewMs: number) {
  const clock = { now: T0 };
  const config = resolveGateSettings({ clockSkewMs }).gate;
  const behind = new DynamoDbGateStore(ddb.documentClient, { tableName, config, clock: () => clock.now });
  const ahead = new DynamoDbGateStore(ddb.documentClient, { tableName, config, clock: () => clock.now + apartMs });
  return { clock, behind, ahead };
}

describe('DynamoDbGateStore with clocks set apart', () => {
  it.each([
    ['the dispatcher whose clock is behind', 'behind', 'ahead'],
    ['the dispatcher whose clock is ahead', 'ahead', 'behind'],
  ] as const)(
    'GIVEN clocks 1.5 s apart and a 1.5 s skew margin WHEN %s records a 10 s cool-down THEN the other never calls before it ends on the writer clock',
    async (_case, writerName, readerName) => {
      const stores = twoClocks(1500, 1500);
      const writer = stores[writerName];
      const reader = stores[readerName];
      const user = freshUser();
      const lease = expectLease(await writer.acquire(user, 'bulk'));
      await writer.release(lease, { status: 429, headers: { 'retry-after': '10' } });
      const writerOffset = writerName === 'ahead' ? 1500 : 0;
      const endOnWriterClock = T0 + writerOffset + 10_000;
      const admittedAt: number[] = [];
      for (let t = T0; t <= T0 + 14_000; t += 250) {
        stores.clock.now = t;
        const result = await reader.acquire(user, 'bulk');
        if (result.kind === 'lease') {
          admittedAt.push(t + writerOffset);
          await reader.release(result, { status: 200 });
        }
      }
      expect(admittedAt.length).toBeGreaterThan(0);
      expect(Math.min(...admittedAt)).toBeGreaterThanOrEqual(endOnWriterClock);
    },
  );

  it('GIVEN clocks 1.5 s apart WHEN a lease taken by the dispatcher behind expires on its own clock THEN the one ahead does not reclaim it before then', async () => {
    const clock = { now: T0 };
    const config = resolveGateSettings({ inFlightCap: 1, criticalLeaseShare: 0, clockSkewMs: 1500 }).gate;
    const user = freshUser();
    const holder = new DynamoDbGateStore(ddb.documentClient, { tableName, config, clock: () => clock.now });
    const rival = new DynamoDbGateStore(ddb.documentClient, { tableName, config, clock: () => clock.now + 1500 });
    const lease = expectLease(await holder.acquire(user, 'bulk'));
    clock.now = lease.expiresAt - 1; // still held on the holder's clock; past its expiry on the rival's
    expect(await rival.acquire(user, 'bulk')).toMatchObject({ kind: 'wait', reason: 'lease' });
    clock.now = lease.expiresAt;
    expect((await rival.acquire(user, 'bulk')).kind).toBe('lease');
  });
});

describe('DynamoDbGateStore when DynamoDB fails', () => {
  const config = resolveGateSettings().gate;

  it('GIVEN DynamoDB not answering WHEN acquiring twice THEN each fails as a wait, the suggested wait doubling', async () => {
    const port = await freePort();
    const client = new DynamoDBClient({
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    const store = new DynamoDbGateStore(DynamoDBDocumentClient.from(client), { tableName, config });
    const first = await store.acquire('alice', 'bulk').catch((error: unknown) => error);
    const second = await store.acquire('alice', 'bulk').catch((error: unknown) => error);
    client.destroy();
    expect(first).toBeInstanceOf(GateUnavailableError);
    expect([(first as GateUnavailableError).retryAfterMs, (second as GateUnavailableError).retryAfterMs]).toEqual([
      1000, 2000,
    ]);
  });

  it('GIVEN a table that does not exist WHEN acquiring THEN it fails as a store error, not a wait', async () => {
    const store = new DynamoDbGateStore(ddb.documentClient, { tableName: 'no-such-table', config });
    const error = await store.acquire('alice', 'bulk').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GateStoreError);
    expect(error).not.toBeInstanceOf(GateUnavailableError);
    expect((error as Error).message).toMatch(/ResourceNotFoundException/);
  });
});

describe('DynamoDbGateStore and hostile header times', () => {
  it('GIVEN a 429 whose Retry-After is years away WHEN released THEN the cool-down is the 24 h ceiling and the observer hears of it', async () => {
    const config = resolveGateSettings().gate;
    const clamped: unknown[] = [];
    const store = new DynamoDbGateStore(ddb.documentClient, {
      tableName,
      config,
      clock: () => T0,
      observer: { headerClamped: (...args) => clamped.push(args) },
    });
    const user = freshUser();
    const lease = expectLease(await store.acquire(user, 'bulk'));
    await store.release(lease, { status: 429, headers: { 'retry-after': '99999999999999' } });
    expect((await store.snapshot(user)).cooldownUntil).toBe(T0 + 86_400_000);
    expect(clamped).toEqual([[user, 'retry-after', 99_999_999_999_999, T0 + 86_400_000]]);
  });
});
