import { createHash } from 'node:crypto';
import type { OAuthRefreshResult, TokenRecord } from '../../lambdas/tokens/ports';
import { SharedTokenCache, type SharedTokenCacheOptions, TokenCacheError } from '../../lambdas/tokens/token-cache';
import { resolveGateSettings } from '../../lib/settings';
import {
  CollectingLogger,
  FakeClock,
  FakeSecretStore,
  FakeTokenRecordStore,
  minted,
  ScriptedOAuthClient,
} from './fakes';

// Defaults: one mint per 60 s, 10 s upstream timeout (lock lives 25 s), 60 s default cool-down, failed refreshes
// back off 1 s, 2 s, 4 s … up to 300 s; times written by other instances count 1 s (the clock skew) later.
const config = resolveGateSettings().gate;
const MINT_INTERVAL = config.outreach.minMintIntervalMs;
const SKEW = config.timing.clockSkewMs;
const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);
const HOUR = 3_600_000;
const USER = 'u1';
const SECRET_ID = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:refresh-u1';
const SEED = 'OPERATOR-REFRESH-TOKEN';

interface World {
  readonly cache: SharedTokenCache;
  readonly clock: FakeClock;
  readonly records: FakeTokenRecordStore;
  readonly secrets: FakeSecretStore;
  readonly oauth: ScriptedOAuthClient;
  readonly logger: CollectingLogger;
}

function world(
  answers: OAuthRefreshResult[],
  setup: { item?: TokenRecord; secret?: string | null; options?: Partial<SharedTokenCacheOptions> } = {},
): World {
  const clock = new FakeClock(T0);
  const records = new FakeTokenRecordStore();
  if (setup.item !== undefined) records.items.set(USER, setup.item);
  const secrets = new FakeSecretStore(setup.secret === null ? {} : { [SECRET_ID]: setup.secret ?? SEED });
  const oauth = new ScriptedOAuthClient(...answers);
  const logger = new CollectingLogger();
  const cache = new SharedTokenCache({
    records,
    secrets,
    oauth,
    refreshTokenSecretIds: { [USER]: SECRET_ID },
    config,
    clock: clock.clock,
    sleep: clock.sleep,
    logger,
    ...setup.options,
  });
  return { cache, clock, records, secrets, oauth, logger };
}

/** Token metrics that keep what was reported about credentials, as `user:cause`. */
function credentialMetrics() {
  const paused: string[] = [];
  return {
    paused,
    metrics: {
      tokenMinted: () => {},
      credentialsPaused: (user: string, cause: string) => paused.push(`${user}:${cause}`),
    },
  };
}

/** A stored token minted at `mintedAt` for two hours, refreshed after 90% of that. */
const storedToken = (token: string, mintedAt: number, extra: TokenRecord = {}): TokenRecord => ({
  accessToken: token,
  accessTokenExpiresAt: mintedAt + 2 * HOUR,
  refreshAt: mintedAt + 0.9 * 2 * HOUR,
  refreshToken: 'STORED-REFRESH-TOKEN',
  lastMintAt: mintedAt,
  ...extra,
});

async function expectWait(promise: Promise<unknown>): Promise<number> {
  const grant = await promise;
  if ((grant as { kind?: unknown }).kind !== 'wait') throw new Error(`expected a wait, got ${JSON.stringify(grant)}`);
  return (grant as { untilMs: number }).untilMs;
}

describe('SharedTokenCache: first token', () => {
  it('GIVEN no token item WHEN a token is asked for THEN it mints with the operator refresh token from the secret', async () => {
    const w = world([minted(1)]);

    expect(await w.cache.accessToken(USER)).toEqual({ kind: 'token', token: 'ACCESS-TOKEN-1' });
    expect(w.oauth.sent).toEqual([SEED]);
  });

  it('GIVEN a mint WHEN it is stored THEN the item holds the new refresh token, the expiry, refreshAt at 90% and no lock', async () => {
    const w = world([minted(1)]);

    await w.cache.accessToken(USER);

    expect(w.records.items.get(USER)).toEqual({
      accessToken: 'ACCESS-TOKEN-1',
      accessTokenExpiresAt: T0 + 2 * HOUR,
      refreshAt: T0 + 0.9 * 2 * HOUR,
      refreshToken: 'REFRESH-TOKEN-1',
      lastMintAt: T0,
    });
  });

  it('GIVEN a mint WHEN it is stored THEN the newest refresh token is mirrored into the user secret', async () => {
    const w = world([minted(1)]);

    await w.cache.accessToken(USER);

    expect(w.secrets.values.get(SECRET_ID)).toBe('REFRESH-TOKEN-1');
  });

  it('GIVEN the secret cannot be written WHEN a token is minted THEN the token is still returned and a warning names the user but no token', async () => {
    const w = world([minted(1)]);
    w.secrets.failWrites = true;

    expect(await w.cache.accessToken(USER)).toEqual({ kind: 'token', token: 'ACCESS-TOKEN-1' });
    expect(w.logger.lines).toContainEqual(
      expect.objectContaining({ level: 'warn', message: 'could not mirror the newest refresh token into the secret' }),
    );
    expect(w.logger.text()).not.toMatch(/ACCESS-TOKEN|REFRESH-TOKEN/);
  });

  it('GIVEN neither the item nor the secret holds a refresh token WHEN a token is asked for THEN the user is paused and the alert names the user and the secret', async () => {
    const w = world([], { secret: null });

    expect(await expectWait(w.cache.accessToken(USER))).toBe(T0 + MINT_INTERVAL);

    const item = w.records.items.get(USER);
    expect([item?.lockOwner, item?.pausedAt]).toEqual([undefined, T0]);
    const alert = w.logger.lines.find((line) => line.level === 'error');
    expect(alert?.extra).toMatchObject({ user: USER, action: expect.stringContaining(SECRET_ID) });
  });
});

describe('SharedTokenCache: credential health', () => {
  it('GIVEN a refresh-token secret created without a value WHEN a token is asked for THEN the user is reported as not-set, Outreach is not asked and the caller waits', async () => {
    const { paused, metrics } = credentialMetrics();
    const w = world([], { secret: null, options: { metrics } });

    expect(await expectWait(w.cache.accessToken(USER))).toBe(T0 + MINT_INTERVAL);
    expect({ paused, sent: w.oauth.sent }).toEqual({ paused: [`${USER}:not-set`], sent: [] });
  });

  it('GIVEN a user with no refresh token set yet WHEN it is paused THEN the log names the user, the cause and the secret to fill', async () => {
    const w = world([], { secret: null });

    await expectWait(w.cache.accessToken(USER));

    expect(w.logger.lines.find((line) => line.level === 'error')).toMatchObject({
      message: expect.stringContaining('no refresh token is set for the user yet'),
      extra: {
        user: USER,
        cause: 'not-set',
        action: expect.stringContaining(`store its refresh token in the secret ${SECRET_ID}`),
      },
    });
  });

  it('GIVEN a refused refresh token WHEN the user is paused THEN it is reported as invalid-grant', async () => {
    const { paused, metrics } = credentialMetrics();
    const w = world([{ kind: 'invalid-grant', detail: 'revoked' }], {
      item: { refreshToken: 'DEAD-TOKEN' },
      secret: 'DEAD-TOKEN',
      options: { metrics },
    });

    await expectWait(w.cache.accessToken(USER));

    expect(paused).toEqual([`${USER}:invalid-grant`]);
  });

  it('GIVEN a user paused before any token was set WHEN the re-check still finds the secret empty THEN it is reported as not-set again', async () => {
    const { paused, metrics } = credentialMetrics();
    const w = world([], { secret: null, options: { metrics } });
    await expectWait(w.cache.accessToken(USER));
    w.clock.now = T0 + MINT_INTERVAL + SKEW + 1;

    await expectWait(w.cache.accessToken(USER));

    expect(paused).toEqual([`${USER}:not-set`, `${USER}:not-set`]);
  });

  it('GIVEN a user paused before any token was set WHEN an operator stores one THEN the next re-check mints with it and the pause ends', async () => {
    const w = world([minted(1)], { secret: null });
    await expectWait(w.cache.accessToken(USER));
    w.secrets.values.set(SECRET_ID, 'FIRST-REAL-TOKEN');
    w.clock.now = T0 + MINT_INTERVAL + SKEW + 1;

    expect(await w.cache.accessToken(USER)).toEqual({ kind: 'token', token: 'ACCESS-TOKEN-1' });
    expect([w.oauth.sent, w.records.items.get(USER)?.pausedAt]).toEqual([['FIRST-REAL-TOKEN'], undefined]);
  });
});

describe('SharedTokenCache: in memory until refreshAt', () => {
  it('GIVEN a token in memory WHEN asked again before refreshAt THEN the item is not read again', async () => {
    const w = world([minted(1)]);
    await w.cache.accessToken(USER);
    const readsAfterMint = w.records.reads;
    w.clock.now = T0 + 0.9 * 2 * HOUR - 1;

    expect(await w.cache.accessToken(USER)).toEqual({ kind: 'token', token: 'ACCESS-TOKEN-1' });
    expect(w.records.reads).toBe(readsAfterMint);
  });

  it.each([
    ['one ms before refreshAt', 0.9 * 2 * HOUR - 1, 'ACCESS-TOKEN-1', 1],
    ['at refreshAt', 0.9 * 2 * HOUR, 'ACCESS-TOKEN-2', 2],
    ['after expiry', 3 * HOUR, 'ACCESS-TOKEN-2', 2],
  ])('GIVEN a two-hour token WHEN asked %s THEN the token is %s', async (_when, offset, expected, mints) => {
    const w = world([minted(1), minted(2)]);
    await w.cache.accessToken(USER);
    w.clock.now = T0 + offset;

    expect(await w.cache.accessToken(USER)).toEqual({ kind: 'token', token: expected });
    expect(w.oauth.sent).toHaveLength(mints);
  });

  it('GIVEN a token due for refresh WHEN it is refreshed THEN the refresh token stored by the last mint is used, not the secret', async () => {
    const w = world([minted(1), minted(2)]);
    await w.cache.accessToken(USER);
    w.secrets.values.set(SECRET_ID, 'SOMETHING-ELSE');
    w.clock.now = T0 + 2 * HOUR;

    await w.cache.accessToken(USER);

    expect(w.oauth.sent).toEqual([SEED, 'REFRESH-TOKEN-1']);
  });

  it('GIVEN ten concurrent callers in one process WHEN none has a token THEN they share one lookup and one mint', async () => {
    const w = world([minted(1)]);

    const grants = await Promise.all(Array.from({ length: 10 }, () => w.cache.accessToken(USER)));

    expect(new Set(grants.map((g) => JSON.stringify(g)))).toEqual(
      new Set([JSON.stringify({ kind: 'token', token: 'ACCESS-TOKEN-1' })]),
    );
    expect(w.records.reads).toBe(1);
  });
});

describe('SharedTokenCache: shared through the item', () => {
  it('GIVEN another instance stored a fresh token WHEN this one is asked THEN it uses that token without minting', async () => {
    const w = world([], { item: storedToken('SHARED-ACCESS', T0 - 1000) });

    expect(await w.cache.accessToken(USER)).toEqual({ kind: 'token', token: 'SHARED-ACCESS' });
    expect(w.oauth.sent).toEqual([]);
  });

  it('GIVEN another instance holds the lock and no token works WHEN this one is asked THEN it polls and then waits until the lock lapses', async () => {
    const lockUntil = T0 + 25_000;
    const w = world([], { item: { refreshToken: 'STORED', lockOwner: 'other', lockUntil } });

    expect(await w.cache.accessToken(USER)).toEqual({ kind: 'wait', untilMs: lockUntil + SKEW });
    expect(w.oauth.sent).toEqual([]);
    expect(w.clock.sleeps.reduce((sum, ms) => sum + ms, 0)).toBeLessThanOrEqual(2000);
  });

  it('GIVEN another instance holds the lock WHEN it stores a token while this one polls THEN this one returns that token', async () => {
    const w = world([], { item: { refreshToken: 'STORED', lockOwner: 'other', lockUntil: T0 + 25_000 } });
    w.clock.onSleep = () => {
      if (w.clock.sleeps.length === 2) w.records.items.set(USER, storedToken('FROM-THE-OTHER', w.clock.now));
    };

    expect(await w.cache.accessToken(USER)).toEqual({ kind: 'token', token: 'FROM-THE-OTHER' });
    expect(w.oauth.sent).toEqual([]);
  });

  it('GIVEN another instance holds the lock and the old token has not expired WHEN this one is asked THEN it gets the old token at once', async () => {
    const mintedAt = T0 - 0.95 * 2 * HOUR; // past refreshAt, before expiry
    const w = world([], {
      item: storedToken('OLD-BUT-VALID', mintedAt, { lockOwner: 'other', lockUntil: T0 + 25_000 }),
    });

    expect(await w.cache.accessToken(USER)).toEqual({ kind: 'token', token: 'OLD-BUT-VALID' });
    expect(w.clock.sleeps).toEqual([]);
  });

  it('GIVEN the lock is free WHEN two instances race for it THEN the loser sees the winner lock and gets its token', async () => {
    const shared = new FakeTokenRecordStore();
    const first = world([minted(1)]);
    const second = world([]);
    const a = new SharedTokenCache({ ...cacheOptions(first), records: shared });
    const b = new SharedTokenCache({
      ...cacheOptions(second),
      records: shared,
      clock: first.clock.clock,
      sleep: first.clock.sleep,
    });

    const [grantA, grantB] = await Promise.all([a.accessToken(USER), b.accessToken(USER)]);

    expect(grantA).toEqual({ kind: 'token', token: 'ACCESS-TOKEN-1' });
    expect(grantB).toEqual({ kind: 'token', token: 'ACCESS-TOKEN-1' });
    expect(first.oauth.sent).toHaveLength(1);
    expect(second.oauth.sent).toHaveLength(0);
  });
});

function cacheOptions(w: World): SharedTokenCacheOptions {
  return {
    records: w.records,
    secrets: w.secrets,
    oauth: w.oauth,
    refreshTokenSecretIds: { [USER]: SECRET_ID },
    config,
    clock: w.clock.clock,
    sleep: w.clock.sleep,
    logger: w.logger,
  };
}

describe('SharedTokenCache: the mint interval', () => {
  it('GIVEN the last mint was 10 s ago and the stored token was refused WHEN asked THEN it waits until the interval has passed', async () => {
    const lastMintAt = T0 - 10_000;
    const w = world([], { item: { refreshToken: 'STORED', refreshAt: 0, accessTokenExpiresAt: 0, lastMintAt } });

    expect(await w.cache.accessToken(USER)).toEqual({ kind: 'wait', untilMs: lastMintAt + MINT_INTERVAL + SKEW });
    expect(w.oauth.sent).toEqual([]);
  });

  it('GIVEN the interval blocks a mint but the stored token has not expired WHEN asked THEN the stored token is used', async () => {
    const mintedAt = T0 - 0.95 * 2 * HOUR;
    const w = world([], { item: storedToken('STILL-VALID', mintedAt, { mintBlockedUntil: T0 + 30_000 }) });

    expect(await w.cache.accessToken(USER)).toEqual({ kind: 'token', token: 'STILL-VALID' });
    expect(w.oauth.sent).toEqual([]);
  });
});

describe('SharedTokenCache: Outreach throttles the token endpoint', () => {
  it('GIVEN a 429 without Retry-After WHEN minting THEN the caller waits one mint interval and the lock is released', async () => {
    const w = world([{ kind: 'throttled' }]);

    expect(await w.cache.accessToken(USER)).toEqual({ kind: 'wait', untilMs: T0 + MINT_INTERVAL });
    expect(w.records.items.get(USER)).toEqual({ mintBlockedUntil: T0 + MINT_INTERVAL });
  });

  it('GIVEN a 429 with a later Retry-After WHEN minting THEN the caller waits until then', async () => {
    const w = world([{ kind: 'throttled', retryAfterMs: T0 + 90_000 }]);

    expect(await w.cache.accessToken(USER)).toEqual({ kind: 'wait', untilMs: T0 + 90_000 });
  });

  it('GIVEN a 429 a moment ago WHEN another caller asks before the wait ends THEN it waits without calling Outreach', async () => {
    const w = world([{ kind: 'throttled' }]);
    await w.cache.accessToken(USER);
    w.clock.now = T0 + 1000;

    expect(await w.cache.accessToken(USER)).toEqual({ kind: 'wait', untilMs: T0 + MINT_INTERVAL + SKEW });
    expect(w.oauth.sent).toHaveLength(1);
  });
});

describe('SharedTokenCache: refused refresh tokens', () => {
  it('GIVEN the stored refresh token is refused and the secret holds another WHEN minting THEN the secret one is used once and its successor stored', async () => {
    const w = world([{ kind: 'invalid-grant', detail: 'revoked' }, minted(2)], {
      item: { refreshToken: 'DEAD-STORED-TOKEN' },
      secret: 'RE-AUTHORISED-TOKEN',
    });

    expect(await w.cache.accessToken(USER)).toEqual({ kind: 'token', token: 'ACCESS-TOKEN-2' });
    expect(w.oauth.sent).toEqual(['DEAD-STORED-TOKEN', 'RE-AUTHORISED-TOKEN']);
    expect(w.records.items.get(USER)?.refreshToken).toBe('REFRESH-TOKEN-2');
  });

  it('GIVEN the stored refresh token is refused and the secret holds the same WHEN minting THEN the user is paused and the caller waits, the token never logged', async () => {
    const w = world([{ kind: 'invalid-grant', detail: 'grant DEAD-TOKEN is revoked' }], {
      item: { refreshToken: 'DEAD-TOKEN' },
      secret: 'DEAD-TOKEN',
    });

    expect(await expectWait(w.cache.accessToken(USER))).toBe(T0 + MINT_INTERVAL);

    expect(w.records.items.get(USER)).toMatchObject({
      pausedAt: T0,
      pausedReason: expect.stringMatching(/invalid_grant/),
    });
    expect(w.logger.text()).not.toContain('DEAD-TOKEN');
    expect(w.records.items.get(USER)?.pausedReason).not.toContain('DEAD-TOKEN');
    expect(w.oauth.sent).toEqual(['DEAD-TOKEN']);
  });

  it('GIVEN both the stored and the secret refresh token are refused WHEN minting THEN Outreach is asked twice and the pause reason hides both', async () => {
    const w = world(
      [
        { kind: 'invalid-grant', detail: 'first' },
        { kind: 'invalid-grant', detail: 'DEAD-ONE and DEAD-TWO are both revoked' },
      ],
      { item: { refreshToken: 'DEAD-ONE' }, secret: 'DEAD-TWO' },
    );

    await expectWait(w.cache.accessToken(USER));

    expect(w.oauth.sent).toEqual(['DEAD-ONE', 'DEAD-TWO']);
    expect(w.records.items.get(USER)?.pausedReason).not.toMatch(/DEAD-ONE|DEAD-TWO/);
  });

  it('GIVEN a refused refresh token WHEN the user is paused THEN the lock is released', async () => {
    const w = world([{ kind: 'invalid-grant', detail: 'revoked' }], { secret: 'DEAD' });

    await expectWait(w.cache.accessToken(USER));

    expect(w.records.items.get(USER)?.lockOwner).toBeUndefined();
  });

  it('GIVEN the token endpoint fails otherwise WHEN minting THEN the caller waits out a 1 s backoff shared in the item, and the lock is released', async () => {
    const w = world([{ kind: 'error', detail: 'the token endpoint answered 503' }]);

    expect(await expectWait(w.cache.accessToken(USER))).toBe(T0 + 1000);

    expect(w.records.items.get(USER)).toMatchObject({ mintBlockedUntil: T0 + 1000, refreshFailures: 1 });
    expect(w.records.items.get(USER)?.lockOwner).toBeUndefined();
    expect(w.logger.text()).toContain('the token endpoint answered 503');
  });
});

describe('SharedTokenCache: credential trouble is a per-user wait, not a failure', () => {
  const paused = (hashOf: string): TokenRecord => ({
    refreshToken: 'DEAD',
    pausedAt: T0 - 5 * 60_000,
    pausedReason: 'Outreach refused the refresh token (invalid_grant: revoked)',
    pausedSecretHash: createHash('sha256').update(hashOf).digest('hex'),
    mintBlockedUntil: T0 - 5_000,
  });

  it('GIVEN a refresh failing while the access token is still valid WHEN asked THEN the valid token is used', async () => {
    const mintedAt = T0 - 0.95 * 2 * HOUR;
    const w = world([{ kind: 'error', detail: 'timeout' }], { item: storedToken('STILL-VALID', mintedAt) });

    expect(await w.cache.accessToken(USER)).toEqual({ kind: 'token', token: 'STILL-VALID' });
    expect(w.records.items.get(USER)?.refreshFailures).toBe(1);
  });

  it('GIVEN three failures in a row WHEN a fourth refresh fails THEN nobody tries again for 8 s', async () => {
    const w = world([{ kind: 'error', detail: 'timeout' }], { item: { refreshToken: 'R', refreshFailures: 3 } });

    expect(await expectWait(w.cache.accessToken(USER))).toBe(T0 + 8000);
  });

  it('GIVEN a failed refresh a moment ago WHEN another instance asks within the backoff THEN it waits without calling Outreach', async () => {
    const w = world([], { item: { refreshToken: 'R', refreshFailures: 2, mintBlockedUntil: T0 + 2000 } });

    expect(await expectWait(w.cache.accessToken(USER))).toBe(T0 + 2000 + SKEW);
    expect(w.oauth.sent).toEqual([]);
  });

  it('GIVEN the secret cannot be read WHEN a first token is asked for THEN the caller waits (backoff), no failure', async () => {
    const w = world([], { secret: null });
    w.secrets.getSecretString = async () => {
      throw new Error('ServiceUnavailable: Secrets Manager is down');
    };

    expect(await expectWait(w.cache.accessToken(USER))).toBe(T0 + 1000);
    expect(w.records.items.get(USER)?.pausedAt).toBeUndefined();
  });

  it('GIVEN a paused user whose secret still holds the refused token WHEN the re-check comes THEN Outreach is not asked and the user stays paused', async () => {
    const metrics = {
      paused: [] as string[],
      tokenMinted: () => {},
      credentialsPaused: (u: string) => metrics.paused.push(u),
    };
    const w = world([], { item: paused(SEED), options: { metrics } });

    expect(await expectWait(w.cache.accessToken(USER))).toBe(T0 + MINT_INTERVAL);
    expect(w.oauth.sent).toEqual([]);
    expect(metrics.paused).toEqual([USER]);
  });

  it('GIVEN a paused user WHEN an operator stores a new refresh token in the secret THEN the re-check mints with it and the pause ends', async () => {
    const w = world([minted(7)], { item: paused('THE-REFUSED-ONE'), secret: 'RE-AUTHORISED' });

    expect(await w.cache.accessToken(USER)).toEqual({ kind: 'token', token: 'ACCESS-TOKEN-7' });
    expect(w.oauth.sent).toEqual(['RE-AUTHORISED']);
    const item = w.records.items.get(USER);
    expect([item?.pausedAt, item?.pausedReason, item?.refreshFailures]).toEqual([undefined, undefined, undefined]);
  });

  it('GIVEN the token item cannot be read WHEN this process still holds a valid token THEN it keeps using it', async () => {
    const w = world([minted(1)]);
    await w.cache.accessToken(USER);
    w.clock.now = T0 + 0.95 * 2 * HOUR; // due for a refresh, still valid
    w.records.read = async () => {
      throw new Error('ProvisionedThroughputExceededException');
    };

    expect(await w.cache.accessToken(USER)).toEqual({ kind: 'token', token: 'ACCESS-TOKEN-1' });
  });

  it('GIVEN the token item cannot be read WHEN this process holds no token THEN the caller waits', async () => {
    const w = world([]);
    w.records.read = async () => {
      throw new Error('ProvisionedThroughputExceededException');
    };

    expect(await expectWait(w.cache.accessToken(USER))).toBe(T0 + 1000);
  });
});

describe('SharedTokenCache: which refresh token is sent', () => {
  it('GIVEN the refresh token changed after this caller read the item WHEN it takes the lock THEN it sends the one stored at lock time', async () => {
    const w = world([minted(2)], { item: { refreshToken: 'READ-EARLIER', refreshAt: 0 } });
    const read = w.records.read.bind(w.records);
    w.records.read = async (user) => {
      const item = await read(user);
      await w.records.saveRefreshToken(user, 'STORED-SINCE');
      return item;
    };

    await w.cache.accessToken(USER);

    expect(w.oauth.sent).toEqual(['STORED-SINCE']);
  });
});

describe('SharedTokenCache: an unusable answer with a new refresh token', () => {
  it('GIVEN Outreach answers with a refresh token but no usable access token WHEN minting THEN the refresh token is kept in the item and the secret', async () => {
    const w = world([{ kind: 'error', detail: 'no usable expires_in', refreshToken: 'REFRESH-TOKEN-KEPT' }]);

    await expectWait(w.cache.accessToken(USER));

    expect(w.records.items.get(USER)?.refreshToken).toBe('REFRESH-TOKEN-KEPT');
    expect(w.secrets.values.get(SECRET_ID)).toBe('REFRESH-TOKEN-KEPT');
    expect(w.logger.text()).not.toContain('REFRESH-TOKEN-KEPT');
  });
});

describe('SharedTokenCache: the lock lapses during a mint', () => {
  it('GIVEN someone else took the lapsed lock WHEN the mint is stored THEN the new refresh token is stored anyway', async () => {
    const w = world([minted(1)]);
    w.records.loseLockBeforeSave = true;

    expect(await w.cache.accessToken(USER)).toEqual({ kind: 'token', token: 'ACCESS-TOKEN-1' });
    expect(w.records.items.get(USER)?.refreshToken).toBe('REFRESH-TOKEN-1');
    expect(w.logger.text()).not.toMatch(/ACCESS-TOKEN|REFRESH-TOKEN/);
  });
});

describe('SharedTokenCache: invalidate after a 401', () => {
  it('GIVEN a token Outreach refused WHEN invalidated after the mint interval THEN the next call mints a new one', async () => {
    const w = world([minted(1), minted(2)]);
    await w.cache.accessToken(USER);
    w.clock.now = T0 + MINT_INTERVAL + SKEW;

    await w.cache.invalidate(USER, 'ACCESS-TOKEN-1');

    expect(await w.cache.accessToken(USER)).toEqual({ kind: 'token', token: 'ACCESS-TOKEN-2' });
  });

  it('GIVEN a token Outreach refused WHEN invalidated within the mint interval THEN the next call waits for the interval', async () => {
    const w = world([minted(1)]);
    await w.cache.accessToken(USER);
    w.clock.now = T0 + 5000;

    await w.cache.invalidate(USER, 'ACCESS-TOKEN-1');

    expect(await w.cache.accessToken(USER)).toEqual({ kind: 'wait', untilMs: T0 + MINT_INTERVAL + SKEW });
  });

  it('GIVEN the stored token was already replaced WHEN an old token is invalidated THEN the stored one stays in use', async () => {
    const w = world([], { item: storedToken('NEWER', T0 - 1000) });

    await w.cache.invalidate(USER, 'OLDER');

    expect(await w.cache.accessToken(USER)).toEqual({ kind: 'token', token: 'NEWER' });
  });
});

describe('SharedTokenCache: bad input', () => {
  it.each([[''], ['  ']])(
    'GIVEN user %j WHEN a token is asked for THEN a TokenCacheError names the user',
    async (user) => {
      const w = world([]);

      await expect(w.cache.accessToken(user)).rejects.toThrow(TokenCacheError);
    },
  );

  it('GIVEN an empty token WHEN invalidated THEN a TokenCacheError says the token must not be empty', async () => {
    const w = world([]);

    await expect(w.cache.invalidate(USER, '')).rejects.toThrow(/non-empty string/);
  });

  it.each([
    [{ lockTtlMs: 0 }, /lockTtlMs/],
    [{ pollIntervalMs: -1 }, /pollIntervalMs/],
    [{ maxPollMs: Number.NaN }, /maxPollMs/],
    [{ refreshFraction: 1.5 }, /refreshFraction/],
  ])('GIVEN option %j WHEN the cache is built THEN the error names the option', (options, message) => {
    expect(() => world([], { options })).toThrow(message);
  });
});
