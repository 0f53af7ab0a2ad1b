import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbTokenStore } from '../../lambdas/adapters/dynamodb-token-store';
import {
  type InMemorySecretStore,
  LOCAL_APP_SECRET_ID,
  localCredentials,
  localRefreshTokenSecretId,
} from '../../lambdas/adapters/in-memory-secrets';
import { FetchOAuthClient } from '../../lambdas/adapters/oauth-client';
import type { GateConfig } from '../../lambdas/shared/config';
import { TABLE_KEYS, tokenKey } from '../../lambdas/shared/names';
import type { SecretStore } from '../../lambdas/tokens/ports';
import { SharedTokenCache } from '../../lambdas/tokens/token-cache';
import { resolveGateSettings } from '../../lib/settings';
import { type RunningSimulator, startOutreachSimulator } from '../../local/outreach-sim';
import { useDynamoDbLocal } from '../support/dynamodb';
import { CollectingLogger } from './fakes';

/**
 * The token cache against DynamoDB Local and the Outreach simulator, with Outreach's clocks compressed:
 * access tokens live 2 s (refreshed after 1.8 s), one mint per user per 0.5 s, and a refresh token dies as
 * soon as a newer one exists, so only the newest refresh token ever works.
 */
const USER = 'u1';
const TOKEN_LIFETIME_S = 2;
const MINT_INTERVAL_MS = 500;
const WORKERS = 20;

const ddb = useDynamoDbLocal();
let sim: RunningSimulator;
let tableName: string;
let config: Pick<GateConfig, 'outreach' | 'cooldown' | 'retries' | 'timing'>;

beforeAll(async () => {
  tableName = await ddb.createGateTable();
  // DynamoDB Local answers its first requests slowly while its JVM warms up: warm it, so that the polling
  // budget below is spent on the cache's behaviour, not on the emulator's start.
  const warmUp = new DynamoDbTokenStore(ddb.documentClient, { tableName });
  for (let i = 0; i < 20; i++) {
    await warmUp.tryLock('warm-up', {
      owner: `o${i}`,
      now: i,
      lockUntil: i,
      minMintIntervalMs: 0,
      seenRefreshAt: undefined,
    });
    await warmUp.read('warm-up');
  }
  sim = await startOutreachSimulator({
    users: [USER],
    budget: 100_000,
    timeScale: 1,
    oauth: {
      accessTokenLifetimeSeconds: TOKEN_LIFETIME_S,
      mintIntervalSeconds: MINT_INTERVAL_MS / 1000,
      refreshTokenHistory: 1,
    },
  });
  const gate = resolveGateSettings({ outreachUsers: [USER] }).gate;
  config = {
    cooldown: gate.cooldown,
    retries: gate.retries,
    // One machine, one clock, and token lifetimes of seconds: a second of skew margin would halve them.
    timing: { ...gate.timing, clockSkewMs: 50 },
    outreach: { ...gate.outreach, tokenUrl: sim.tokenUrl, minMintIntervalMs: MINT_INTERVAL_MS, requestTimeoutMs: 2000 },
  };
});

afterAll(async () => {
  await sim?.stop();
});

beforeEach(async () => {
  // Every test starts from the operator's seed: fresh simulator tokens and counters, and no token item.
  sim.reset({ tokens: true });
  await ddb.documentClient.send(
    new DeleteCommand({ TableName: tableName, Key: { [TABLE_KEYS.partitionKey]: tokenKey(USER) } }),
  );
});

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The operator's secrets: the app credentials, and the user's refresh token unless `refreshToken` is null. */
function operatorSecrets(refreshToken: string | null = `refresh-${USER}`): InMemorySecretStore {
  return localCredentials({
    clientId: 'sim-client',
    clientSecret: 'sim-secret',
    refreshTokens: refreshToken === null ? {} : { [USER]: refreshToken },
  }).secrets;
}

/** One dispatcher instance: its own memory, the shared table, the shared secrets. */
function instance(secrets: SecretStore, logger = new CollectingLogger(), clock?: () => number): SharedTokenCache {
  return new SharedTokenCache({
    ...(clock === undefined ? {} : { clock }),
    records: new DynamoDbTokenStore(ddb.documentClient, { tableName }),
    secrets,
    oauth: new FetchOAuthClient({
      tokenUrl: sim.tokenUrl,
      timeoutMs: config.outreach.requestTimeoutMs,
      secrets,
      appSecretId: LOCAL_APP_SECRET_ID,
    }),
    refreshTokenSecretIds: { [USER]: localRefreshTokenSecretId(USER) },
    config,
    logger,
    // The build machine's two cores are shared: poll a little longer than the default two seconds so a slow
    // moment there cannot turn a poll into a wait. Nothing asserted here depends on this bound.
    maxPollMs: 5000,
  });
}

const userStats = () => {
  const stats = sim.stats().users[USER];
  if (stats === undefined) throw new Error(`the simulator has no stats for ${USER}`);
  return stats;
};

/** Status of one API request made with `token` (401 when Outreach would refuse it). */
async function callOutreach(token: string): Promise<number> {
  const response = await fetch(`${sim.apiBaseUrl}/accounts?page[size]=1`, {
    headers: { 'Content-Type': 'application/vnd.api+json', Authorization: `Bearer ${token}` },
  });
  await response.arrayBuffer();
  return response.status;
}

async function tokenOf(cache: SharedTokenCache): Promise<string> {
  const grant = await cache.accessToken(USER);
  if (grant.kind !== 'token') throw new Error(`expected a token, got a wait until ${grant.untilMs}`);
  return grant.token;
}

describe('SharedTokenCache with DynamoDB Local and the Outreach simulator', () => {
  it('GIVEN 20 instances with no token WHEN they all ask at once THEN Outreach mints exactly once, refuses nothing, and all get the same token', async () => {
    const secrets = operatorSecrets();
    const workers = Array.from({ length: WORKERS }, () => instance(secrets));

    const grants = await Promise.all(workers.map((worker) => worker.accessToken(USER)));

    expect(new Set(grants.map((grant) => JSON.stringify(grant))).size).toBe(1);
    expect(grants[0]?.kind).toBe('token');
    expect(userStats()).toMatchObject({ tokensMinted: 1, mintsRefused: 0, oauthByStatus: { '200': 1 } });
  });

  it('GIVEN 20 instances using tokens for several lifetimes WHEN the tokens expire THEN each expiry costs one mint, none is refused and none is wasted', async () => {
    const secrets = operatorSecrets();
    const workers = Array.from({ length: WORKERS }, () => instance(secrets));
    const refreshPeriodMs = TOKEN_LIFETIME_S * 1000 * 0.9;
    const seen = new Set<string>();
    const statuses: Record<number, number> = {};
    const started = Date.now();
    let firstUse: number | undefined;
    let lastUse = started;
    const deadline = started + 4 * TOKEN_LIFETIME_S * 1000 + 500;

    await Promise.all(
      workers.map(async (worker) => {
        for (let i = 0; i < 2000 && Date.now() < deadline; i++) {
          const grant = await worker.accessToken(USER);
          if (grant.kind === 'wait') {
            await sleep(Math.min(200, Math.max(1, grant.untilMs - Date.now())));
            continue;
          }
          seen.add(grant.token);
          firstUse ??= Date.now();
          const status = await callOutreach(grant.token);
          statuses[status] = (statuses[status] ?? 0) + 1;
          lastUse = Date.now();
          await sleep(25);
        }
      }),
    );
    const elapsedMs = Date.now() - started;

    const { tokensMinted, mintsRefused, oauthByStatus } = userStats();
    // A token handed out in its last tenth of life can still expire before a slow request reaches Outreach; the
    // dispatcher refreshes and retries on that 401. What the cache guarantees is the mint count, not the race.
    process.stdout.write(`token lifetimes test: ${tokensMinted} mints, API statuses ${JSON.stringify(statuses)}\n`);
    expect({ mintsRefused, oauth429: oauthByStatus['429'] ?? 0 }).toEqual({ mintsRefused: 0, oauth429: 0 });
    // Every mint was handed out (none wasted); no more than one per refresh period; and, since Outreach accepted
    // every request, enough of them to cover the whole time the tokens were in use.
    expect(tokensMinted).toBe(seen.size);
    expect(tokensMinted).toBeLessThanOrEqual(1 + Math.floor(elapsedMs / refreshPeriodMs));
    expect(tokensMinted).toBeGreaterThanOrEqual(
      Math.floor((lastUse - (firstUse ?? lastUse)) / (TOKEN_LIFETIME_S * 1000)),
    );
    expect(tokensMinted).toBeGreaterThan(1);
  });

  it('GIVEN successive mints WHEN each is stored THEN the table holds the newest refresh token: a fresh instance with no refresh-token secret can refresh', async () => {
    const secrets = operatorSecrets();
    let previous = await tokenOf(instance(secrets));
    const appOnly = operatorSecrets(null);

    for (let round = 0; round < 3; round++) {
      await sleep(MINT_INTERVAL_MS + 50);
      const fresh = instance(appOnly);
      await fresh.invalidate(USER, previous);

      const next = await tokenOf(fresh);

      expect(next).not.toBe(previous);
      expect(await callOutreach(next)).toBe(200);
      previous = next;
    }
    expect(userStats()).toMatchObject({ tokensMinted: 4, oauthByStatus: { '200': 4 } });
    expect(userStats().oauthByStatus['400']).toBeUndefined();
  });

  it('GIVEN a mint WHEN it is stored THEN the user secret mirrors the refresh token the table holds', async () => {
    const secrets = operatorSecrets();
    await tokenOf(instance(secrets));

    const stored = await new DynamoDbTokenStore(ddb.documentClient, { tableName }).read(USER);

    expect(await secrets.getSecretString(localRefreshTokenSecretId(USER))).toBe(stored?.refreshToken);
    expect(stored?.refreshToken).not.toBe(`refresh-${USER}`);
  });

  it('GIVEN a refresh token Outreach never issued WHEN a token is asked for THEN the user is paused: a wait, and an error naming the user and what to do, never the token', async () => {
    const dead = 'DEAD-REFRESH-TOKEN-0123456789';
    const logger = new CollectingLogger();
    const before = Date.now();

    const grant = await instance(operatorSecrets(dead), logger).accessToken(USER);

    expect(grant.kind).toBe('wait');
    expect(grant.kind === 'wait' && grant.untilMs).toBeGreaterThan(before);
    const paused = await new DynamoDbTokenStore(ddb.documentClient, { tableName }).read(USER);
    expect(paused?.pausedReason).toMatch(/invalid_grant/);
    const alert = logger.lines.find((line) => line.level === 'error');
    expect(alert?.extra).toMatchObject({
      user: USER,
      action: expect.stringMatching(/re-authorise.*store the new refresh token/),
    });
    expect(logger.text()).not.toContain(dead);
    expect(JSON.stringify(paused)).not.toContain(dead);
  });

  it('GIVEN a paused user WHEN an operator stores a new refresh token in its secret THEN the first caller after the re-check resumes it with a token Outreach accepts', async () => {
    const secrets = operatorSecrets('DEAD-REFRESH-TOKEN-0123456789');
    const paused = await instance(secrets).accessToken(USER);
    if (paused.kind !== 'wait') throw new Error('expected the user to be paused');
    await secrets.putSecretString(localRefreshTokenSecretId(USER), `refresh-${USER}`);

    // An instance whose clock is past the re-check time (plus the skew it allows for the item's writer).
    const offset = paused.untilMs - Date.now() + config.timing.clockSkewMs + 1;
    const token = await tokenOf(instance(secrets, new CollectingLogger(), () => Date.now() + offset));

    expect(await callOutreach(token)).toBe(200);
    const resumed = await new DynamoDbTokenStore(ddb.documentClient, { tableName }).read(USER);
    expect([resumed?.pausedAt, resumed?.pausedReason, resumed?.refreshFailures]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('GIVEN the stored refresh token died and an operator stored a new one in the secret WHEN a token is asked for THEN it mints with the new one', async () => {
    const records = new DynamoDbTokenStore(ddb.documentClient, { tableName });
    await records.saveRefreshToken(USER, 'DEAD-STORED-REFRESH-TOKEN');

    const token = await tokenOf(instance(operatorSecrets(`refresh-${USER}`)));

    expect(await callOutreach(token)).toBe(200);
    // The dead token is unknown to Outreach, so its 400 counts towards no user, only the total.
    expect(sim.stats().total.oauthByStatus).toEqual({ '200': 1, '400': 1 });
  });
});
