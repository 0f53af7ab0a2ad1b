import { CredentialsError } from '../../lambdas/dispatcher/ports';
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

// Defaults: one mint per 60 s, 10 s upstream timeout (lock lives 25 s), 60 s default cool-down.
const config = resolveGateSettings().gate;
const MINT_INTERVAL = config.outreach.minMintIntervalMs;
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

/** A stored token minted at `mintedAt` for two hours, refreshed after 90% of that. */
const storedToken = (token: string, mintedAt: number, extra: TokenRecord = {}): TokenRecord => ({
  accessToken: token,
  accessTokenExpiresAt: mintedAt + 2 * HOUR,
  refreshAt: mintedAt + 0.9 * 2 * HOUR,
  refreshToken: 'STORED-REFRESH-TOKEN',
  lastMintAt: mintedAt,
  ...extra,
});

async function credentialsError(promise: Promise<unknown>): Promise<CredentialsError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof CredentialsError)) throw new Error(`expected a CredentialsError, got ${String(error)}`);
  return error;
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

  it('GIVEN neither the item nor the secret holds a refresh token WHEN a token is asked for THEN a CredentialsError names the user and the secret', async () => {
    const w = world([], { secret: null });

    const error = await credentialsError(w.cache.accessToken(USER));

    expect(error.message).toContain('"u1"');
    expect(error.message).toContain(SECRET_ID);
    expect(w.records.items.get(USER)?.lockOwner).toBeUndefined();
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

    expect(await w.cache.accessToken(USER)).toEqual({ kind: 'wait', untilMs: lockUntil });
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

    expect(await w.cache.accessToken(USER)).toEqual({ kind: 'wait', untilMs: lastMintAt + MINT_INTERVAL });
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

    expect(await w.cache.accessToken(USER)).toEqual({ kind: 'wait', untilMs: T0 + MINT_INTERVAL });
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

  it('GIVEN the stored refresh token is refused and the secret holds the same WHEN minting THEN a CredentialsError names the user and never the token', async () => {
    const w = world([{ kind: 'invalid-grant', detail: 'grant DEAD-TOKEN is revoked' }], {
      item: { refreshToken: 'DEAD-TOKEN' },
      secret: 'DEAD-TOKEN',
    });

    const error = await credentialsError(w.cache.accessToken(USER));

    expect(error.message).toContain('"u1"');
    expect(error.message).not.toContain('DEAD-TOKEN');
    expect(w.oauth.sent).toEqual(['DEAD-TOKEN']);
  });

  it('GIVEN both the stored and the secret refresh token are refused WHEN minting THEN Outreach is asked twice and the error hides both', async () => {
    const w = world(
      [
        { kind: 'invalid-grant', detail: 'first' },
        { kind: 'invalid-grant', detail: 'DEAD-ONE and DEAD-TWO are both revoked' },
      ],
      { item: { refreshToken: 'DEAD-ONE' }, secret: 'DEAD-TWO' },
    );

    const error = await credentialsError(w.cache.accessToken(USER));

    expect(w.oauth.sent).toEqual(['DEAD-ONE', 'DEAD-TWO']);
    expect(error.message).not.toMatch(/DEAD-ONE|DEAD-TWO/);
  });

  it('GIVEN a refused refresh token WHEN the error is raised THEN the lock is released so an operator fix is picked up at once', async () => {
    const w = world([{ kind: 'invalid-grant', detail: 'revoked' }], { secret: 'DEAD' });

    await credentialsError(w.cache.accessToken(USER));

    expect(w.records.items.get(USER)?.lockOwner).toBeUndefined();
  });

  it('GIVEN the token endpoint fails otherwise WHEN minting THEN a CredentialsError carries the detail and the lock is released', async () => {
    const w = world([{ kind: 'error', detail: 'the token endpoint answered 503' }]);

    const error = await credentialsError(w.cache.accessToken(USER));

    expect(error.message).toContain('the token endpoint answered 503');
    expect(w.records.items.get(USER)?.lockOwner).toBeUndefined();
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

    const error = await credentialsError(w.cache.accessToken(USER));

    expect(w.records.items.get(USER)?.refreshToken).toBe('REFRESH-TOKEN-KEPT');
    expect(w.secrets.values.get(SECRET_ID)).toBe('REFRESH-TOKEN-KEPT');
    expect(error.message).not.toContain('REFRESH-TOKEN-KEPT');
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
    w.clock.now = T0 + MINT_INTERVAL;

    await w.cache.invalidate(USER, 'ACCESS-TOKEN-1');

    expect(await w.cache.accessToken(USER)).toEqual({ kind: 'token', token: 'ACCESS-TOKEN-2' });
  });

  it('GIVEN a token Outreach refused WHEN invalidated within the mint interval THEN the next call waits for the interval', async () => {
    const w = world([minted(1)]);
    await w.cache.accessToken(USER);
    w.clock.now = T0 + 5000;

    await w.cache.invalidate(USER, 'ACCESS-TOKEN-1');

    expect(await w.cache.accessToken(USER)).toEqual({ kind: 'wait', untilMs: T0 + MINT_INTERVAL });
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
