import { type TokenSettings, TokenStore } from '../../local/outreach-sim/tokens';

const T0 = 10_000_000;
const settings: TokenSettings = {
  clientId: 'sim-client',
  clientSecret: 'sim-secret',
  accessTokenLifetimeMs: 7_200_000,
  mintIntervalMs: 60_000,
  refreshTokenHistory: 100,
  refreshTokenLifetimeMs: 14 * 86_400_000,
  maxLiveAccessTokens: 100,
  scopes: { reader: ['prospects.read'] },
};

function storeWith(...users: string[]): TokenStore {
  const store = new TokenStore(() => settings);
  for (const user of users) store.addUser(user, T0);
  return store;
}

function mint(store: TokenStore, refreshToken: string, now: number) {
  const result = store.refresh('sim-client', 'sim-secret', refreshToken, now);
  if (!result.ok) throw new Error(`expected a mint, got ${result.error}`);
  return result.tokens;
}

describe('token store', () => {
  test('GIVEN a user WHEN its development refresh token is used THEN a new token pair is minted', () => {
    const store = storeWith('u1');
    const tokens = mint(store, 'refresh-u1', T0);
    expect(tokens.user).toBe('u1');
    expect(tokens.refreshToken).not.toBe('refresh-u1');
    expect(tokens.expiresInSeconds).toBe(7200);
    expect(store.authenticate(tokens.accessToken, T0 + 1)).toMatchObject({ ok: true, user: 'u1' });
  });

  test('GIVEN a mint WHEN another is asked within the interval THEN it is rate limited until the interval ends', () => {
    const store = storeWith('u1');
    const first = mint(store, 'refresh-u1', T0);
    expect(store.refresh('sim-client', 'sim-secret', first.refreshToken, T0 + 59_999)).toEqual({
      ok: false,
      error: 'rate_limited',
      user: 'u1',
      retryAtMs: T0 + 60_000,
    });
    expect(store.refresh('sim-client', 'sim-secret', first.refreshToken, T0 + 60_000).ok).toBe(true);
  });

  test('GIVEN an access token WHEN its lifetime has passed THEN it is reported expired', () => {
    const store = storeWith('u1');
    const tokens = mint(store, 'refresh-u1', T0);
    expect(store.authenticate(tokens.accessToken, T0 + 7_200_000)).toEqual({ ok: false, reason: 'expired' });
    expect(store.authenticate('nonsense', T0)).toEqual({ ok: false, reason: 'unknown' });
  });

  test('GIVEN a refresh token WHEN 100 newer ones were issued THEN it is an invalid grant', () => {
    const store = storeWith('u1');
    let now = T0;
    let latest = 'refresh-u1';
    for (let i = 0; i < 99; i += 1) {
      latest = mint(store, latest, now).refreshToken;
      now += 60_000;
    }
    // 99 newer tokens exist: the development token still works, and that mint makes the 100th.
    const hundredth = mint(store, 'refresh-u1', now);
    now += 60_000;
    expect(store.refresh('sim-client', 'sim-secret', 'refresh-u1', now)).toMatchObject({
      ok: false,
      error: 'invalid_grant',
    });
    expect(store.refresh('sim-client', 'sim-secret', hundredth.refreshToken, now).ok).toBe(true);
  });

  test('GIVEN wrong client credentials WHEN refreshing THEN the client is refused', () => {
    const store = storeWith('u1');
    expect(store.refresh('sim-client', 'wrong', 'refresh-u1', T0)).toMatchObject({
      ok: false,
      error: 'invalid_client',
    });
  });

  test('GIVEN a user with configured scopes WHEN a token is minted THEN it carries only those scopes', () => {
    const store = storeWith('reader');
    const tokens = mint(store, 'refresh-reader', T0);
    expect(tokens.scopes).toEqual(['prospects.read']);
  });
});
