import { DynamoDbGateStore, type DynamoDbGateStoreOptions } from '../../lambdas/adapters/dynamodb-gate-store';
import type { Lease, Wait } from '../../lambdas/gate/port';
import type { Lane } from '../../lambdas/shared/names';
import { type GateSettingsInput, resolveGateSettings } from '../../lib/settings';
import { useDynamoDbLocal } from '../support/dynamodb';

const ddb = useDynamoDbLocal();
let tableName: string;
let userCounter = 0;

beforeAll(async () => {
  tableName = await ddb.createGateTable();
});

/** A user no other test touches. */
const freshUser = () => `user-${++userCounter}`;
const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function storeWith(settings: GateSettingsInput = {}, options: Partial<DynamoDbGateStoreOptions> = {}) {
  return new DynamoDbGateStore(ddb.documentClient, {
    tableName,
    config: resolveGateSettings(settings).gate,
    ...options,
  });
}

/** A store reading a clock the test moves by hand. */
function controlledStore(settings: GateSettingsInput = {}) {
  const clock = { now: T0 };
  const store = storeWith(settings, { clock: () => clock.now });
  return { clock, store };
}

function expectLease(result: Lease | Wait): Lease {
  if (result.kind !== 'lease') throw new Error(`expected a lease, got ${JSON.stringify(result)}`);
  return result;
}

/** Acquires until admitted or told to wait for something other than a lease (a lease wait is retried). */
async function acquireUnlessBlocked(store: DynamoDbGateStore, user: string, lane: Lane): Promise<Lease | Wait> {
  for (;;) {
    const result = await store.acquire(user, lane);
    if (result.kind === 'lease' || result.reason !== 'lease') return result;
    await store.waitForRelease(user, 20);
  }
}

describe('DynamoDbGateStore against DynamoDB Local', () => {
  it('GIVEN 20 concurrent acquire/release loops for one user across 4 dispatchers WHEN they run THEN never more than the cap hold a lease and all complete', async () => {
    const config = resolveGateSettings().gate;
    const dispatchers = Array.from({ length: 4 }, () => storeWith());
    const user = freshUser();
    const lanes: Lane[] = ['critical', 'standard', 'bulk'];
    const resetSeconds = Math.floor(Date.now() / 1000) + 1800;
    let holding = 0;
    let mostHeld = 0;
    let served = 0;
    const loop = async (index: number) => {
      const store = dispatchers[index % dispatchers.length] as DynamoDbGateStore;
      const lane = lanes[index % lanes.length] as Lane;
      for (let i = 0; i < 10; i++) {
        const lease = await acquireUnlessBlocked(store, user, lane);
        if (lease.kind !== 'lease') throw new Error(`unexpected wait: ${JSON.stringify(lease)}`);
        holding++;
        mostHeld = Math.max(mostHeld, holding);
        await sleep(1 + Math.floor(Math.random() * 4));
        holding--;
        served++;
        const headers = {
          'X-RateLimit-Limit': '10000',
          'X-RateLimit-Remaining': `${10_000 - served}`,
          'X-RateLimit-Reset': `${resetSeconds}`,
        };
        await store.release(lease, { status: 200, headers });
      }
    };

    await Promise.all(Array.from({ length: 20 }, (_, i) => loop(i)));

    expect(served).toBe(200);
    expect(mostHeld).toBeLessThanOrEqual(config.leases.inFlightCap);
    expect(Object.keys((await dispatchers[0]?.snapshot(user))?.leases ?? { unread: true })).toHaveLength(0);
  });

  it('GIVEN bulk callers saturating the shared leases WHEN a critical request asks THEN it gets a reserved lease at once', async () => {
    const store = storeWith(); // 10 leases, the last 2 reserved for critical
    const user = freshUser();

    const bulk = await Promise.all(Array.from({ length: 12 }, () => store.acquire(user, 'bulk')));
    const critical = expectLease(await store.acquire(user, 'critical'));

    const bulkLeases = bulk.filter((r): r is Lease => r.kind === 'lease');
    expect(bulkLeases).toHaveLength(8);
    expect(bulkLeases.every((lease) => lease.slot < 8)).toBe(true);
    expect(bulk.filter((r) => r.kind === 'wait').every((r) => r.kind === 'wait' && r.reason === 'lease')).toBe(true);
    expect(critical.slot).toBeGreaterThanOrEqual(8);
  });

  it('GIVEN a 429 with Retry-After WHEN anyone acquires before the cool-down ends (plus the 1 s clock skew) THEN they are told to wait until then', async () => {
    const { clock, store } = controlledStore();
    const otherLambda = storeWith({}, { clock: () => clock.now });
    const user = freshUser();
    const lease = expectLease(await store.acquire(user, 'critical'));
    await store.release(lease, { status: 429, headers: { 'Retry-After': '10' } });

    const waits: (Lease | Wait)[] = [];
    for (const at of [T0 + 1, T0 + 5_000, T0 + 10_000, T0 + 10_999]) {
      clock.now = at;
      waits.push(await store.acquire(user, 'critical'), await otherLambda.acquire(user, 'bulk'));
    }
    clock.now = T0 + 11_000;
    const after = await store.acquire(user, 'bulk');

    for (const wait of waits) expect(wait).toEqual({ kind: 'wait', untilMs: T0 + 11_000, reason: 'cooldown' });
    expect(after.kind).toBe('lease');
  });

  it('GIVEN two concurrent 429s from two dispatchers WHEN both are released THEN the cool-down is the later of the two', async () => {
    const clock = { now: T0 };
    const one = storeWith({}, { clock: () => clock.now });
    const two = storeWith({}, { clock: () => clock.now });
    const user = freshUser();
    const first = expectLease(await one.acquire(user, 'bulk'));
    const second = expectLease(await two.acquire(user, 'bulk'));

    await Promise.all([
      one.release(first, { status: 429, headers: { 'Retry-After': '30' } }),
      two.release(second, { status: 429, headers: { 'Retry-After': '10' } }),
    ]);

    const after = await one.snapshot(user);
    expect(after.cooldownUntil).toBe(T0 + 30_000);
    expect(Object.keys(after.leases)).toHaveLength(0);
  });

  describe('fixed window with a learned limit of 20 and a 25% critical reserve', () => {
    const settings: GateSettingsInput = { inFlightCap: 50, criticalLeaseShare: 0.2, criticalBudgetShare: 0.25 };
    const resetAt = Math.floor(T0 / 1000) * 1000 + 30 * 60_000;

    async function learnedWindow() {
      const { clock, store } = controlledStore(settings);
      const user = freshUser();
      const first = expectLease(await store.acquire(user, 'bulk'));
      const headers = {
        'X-RateLimit-Limit': '20',
        'X-RateLimit-Remaining': '19',
        'X-RateLimit-Reset': `${resetAt / 1000}`,
      };
      await store.release(first, { status: 200, headers });
      return { clock, store, user };
    }

    /** Many concurrent callers admitting and releasing until the budget stops them; returns how many got through. */
    async function spendConcurrently(store: DynamoDbGateStore, user: string, lane: Lane, callers: number) {
      let admitted = 0;
      const waits: Wait[] = [];
      await Promise.all(
        Array.from({ length: callers }, async () => {
          for (;;) {
            const result = await acquireUnlessBlocked(store, user, lane);
            if (result.kind === 'wait') {
              waits.push(result);
              return;
            }
            admitted++;
            await store.release(result, { status: 200 });
          }
        }),
      );
      return { admitted, waits };
    }

    it('GIVEN the learned window WHEN bulk callers spend concurrently THEN they stop at L − reserve', async () => {
      const { store, user } = await learnedWindow();
      const bulk = await spendConcurrently(store, user, 'bulk', 30);
      expect(bulk.admitted).toBe(14); // 15 allowed, 1 already spent
      expect(bulk.waits.every((w) => w.reason === 'budget')).toBe(true);
    });

    it('GIVEN bulk has spent up to the reserve WHEN critical callers spend concurrently THEN they get exactly the reserve and no more than L', async () => {
      const { store, user } = await learnedWindow();
      await spendConcurrently(store, user, 'bulk', 30);
      const critical = await spendConcurrently(store, user, 'critical', 30);
      expect(critical.admitted).toBe(5);
      expect(critical.waits.every((w) => w.reason === 'budget' && w.untilMs === resetAt + 2000)).toBe(true);
      expect((await store.snapshot(user)).spent).toBe(20);
    });
  });

  it('GIVEN a lease whose holder died WHEN its expiry passes THEN another caller reclaims the slot and the late release leaves it alone', async () => {
    const { clock, store } = controlledStore({ inFlightCap: 2, criticalLeaseShare: 0 });
    const ttl = resolveGateSettings().gate.leases.ttlMs;
    const user = freshUser();
    const dead = expectLease(await store.acquire(user, 'bulk'));
    clock.now = T0 + 1_000;
    expectLease(await store.acquire(user, 'bulk'));

    const blocked = await store.acquire(user, 'bulk');
    clock.now = T0 + ttl + 1000; // the expiry, plus the clock skew allowed for the writer's clock
    const reclaimed = expectLease(await store.acquire(user, 'bulk'));
    await store.release(dead, { status: 200 });

    expect(blocked).toEqual({ kind: 'wait', untilMs: T0 + ttl + 1000, reason: 'lease' });
    expect(reclaimed.slot).toBe(dead.slot);
    expect((await store.snapshot(user)).leases[dead.slot]?.token).toBe(reclaimed.token);
  });

  it('GIVEN responses that come back out of order WHEN released THEN the freshest window and spend are kept', async () => {
    const { store } = controlledStore();
    const user = freshUser();
    const [a, b, c] = [
      expectLease(await store.acquire(user, 'bulk')),
      expectLease(await store.acquire(user, 'bulk')),
      expectLease(await store.acquire(user, 'bulk')),
    ];
    const r1 = Math.floor(T0 / 1000) + 60;
    const r2 = r1 + 3600;
    const headers = (remaining: number, reset: number) => ({
      'X-RateLimit-Limit': '10000',
      'X-RateLimit-Remaining': `${remaining}`,
      'X-RateLimit-Reset': `${reset}`,
    });

    await store.release(c, { status: 200, headers: headers(9_990, r2) });
    await store.release(a, { status: 200, headers: headers(100, r1) });
    await store.release(b, { status: 200, headers: headers(9_995, r2) });

    // c opened the new window while a and b were still in flight: they count on top of Outreach's 10.
    expect(await store.snapshot(user)).toMatchObject({ windowResetAt: r2 * 1000, obsResetAt: r2 * 1000, spent: 12 });
  });

  it('GIVEN K consecutive 5xx WHEN callers acquire THEN they wait, and after openMs exactly one concurrent caller probes', async () => {
    const settings: GateSettingsInput = { circuitBreakerThreshold: 3, circuitBreakerOpenSeconds: 30 };
    const clock = { now: T0 };
    const dispatchers = Array.from({ length: 5 }, () => storeWith(settings, { clock: () => clock.now }));
    const [first] = dispatchers as [DynamoDbGateStore];
    const user = freshUser();
    for (let i = 0; i < 3; i++) {
      await first.release(expectLease(await first.acquire(user, 'bulk')), { status: 503 });
    }

    const whileOpen = await first.acquire(user, 'critical');
    clock.now = T0 + 30_000;
    const racers = await Promise.all(
      dispatchers.flatMap((store) => [store.acquire(user, 'bulk'), store.acquire(user, 'critical')]),
    );

    expect(whileOpen).toEqual({ kind: 'wait', untilMs: T0 + 30_000, reason: 'circuit' });
    expect(racers.filter((r) => r.kind === 'lease')).toHaveLength(1);
    expect(racers.filter((r) => r.kind === 'wait').every((r) => r.kind === 'wait' && r.reason === 'circuit')).toBe(
      true,
    );
  });

  it('GIVEN a half-open circuit WHEN the probe succeeds THEN the circuit closes for everyone', async () => {
    const { clock, store } = controlledStore({ circuitBreakerThreshold: 1, circuitBreakerOpenSeconds: 30 });
    const user = freshUser();
    await store.release(expectLease(await store.acquire(user, 'bulk')), { status: 500 });
    clock.now = T0 + 30_000;
    const probe = expectLease(await store.acquire(user, 'bulk'));
    await store.release(probe, { status: 200 });

    const results = await Promise.all([store.acquire(user, 'bulk'), store.acquire(user, 'standard')]);
    expect(results.map((r) => r.kind)).toEqual(['lease', 'lease']);
  });

  it('GIVEN a window whose budget this store spent WHEN an intent asks again 0.5 s later THEN it is told to wait without a DynamoDB request', async () => {
    const { clock, store } = controlledStore({ budgetPerWindow: 3, safetyMargin: 1, criticalBudgetShare: 0 });
    const user = freshUser();
    for (let n = 0; n < 3; n++) await store.release(expectLease(await store.acquire(user, 'bulk')), { status: 200 });
    const before = store.requestCount;
    clock.now += 500;
    expect(await store.acquire(user, 'bulk')).toMatchObject({ kind: 'wait', reason: 'budget' });
    expect(store.requestCount).toBe(before);
  });

  it('GIVEN leases held in another process WHEN an intent asks 0.5 s after this store last saw the item THEN it reads the item again before waiting', async () => {
    const settings: GateSettingsInput = { inFlightCap: 2, criticalLeaseShare: 0 };
    const { clock, store } = controlledStore(settings);
    const other = storeWith(settings, { clock: () => clock.now });
    const user = freshUser();
    await store.release(expectLease(await store.acquire(user, 'bulk')), { status: 200 });
    expectLease(await other.acquire(user, 'bulk'));
    expectLease(await other.acquire(user, 'bulk'));
    expect(await store.acquire(user, 'bulk')).toMatchObject({ kind: 'wait', reason: 'lease' }); // refused write
    const before = store.requestCount;
    clock.now += 500;
    expect(await store.acquire(user, 'bulk')).toMatchObject({ kind: 'wait', reason: 'lease' });
    expect(store.requestCount).toBe(before + 1);
  });

  it('GIVEN an idle gate WHEN one acquire and its release run THEN each costs one DynamoDB request', async () => {
    const store = storeWith();
    const user = freshUser();
    const lease = expectLease(await store.acquire(user, 'standard'));
    await store.release(lease, { status: 200 });
    expect(store.requestCount).toBe(2);
  });
});
