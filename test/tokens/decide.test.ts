import {
  decideStoredToken,
  nextMintAllowedAt,
  refreshBackoffMs,
  throttledUntil,
  tokenSchedule,
} from '../../lambdas/tokens/decide';
import type { TokenRecord } from '../../lambdas/tokens/ports';
import { resolveGateSettings } from '../../lib/settings';

const now = Date.UTC(2026, 0, 15, 12, 0, 0);
const INTERVAL = 60_000;

describe('tokenSchedule', () => {
  it.each([
    [7200, now + 7_200_000, now + 6_480_000],
    [2, now + 2000, now + 1800],
    [1, now + 1000, now + 900],
  ])(
    'GIVEN a token issued now for %i s WHEN scheduled THEN it expires after that and is due at 90%% of its life',
    (seconds, expiresAt, refreshAt) => {
      expect(tokenSchedule(now, seconds)).toEqual({ expiresAt, refreshAt });
    },
  );

  it('GIVEN a refresh fraction of 0.5 WHEN scheduled THEN the token is due half-way', () => {
    expect(tokenSchedule(now, 100, 0.5).refreshAt).toBe(now + 50_000);
  });
});

describe('nextMintAllowedAt', () => {
  it.each<[string, TokenRecord | undefined, number]>([
    ['no item', undefined, 0],
    ['a mint 10 s ago', { lastMintAt: now - 10_000 }, now + 50_000],
    ['a 429 until later than the interval', { lastMintAt: now - 10_000, mintBlockedUntil: now + 90_000 }, now + 90_000],
    ['a 429 that ended', { mintBlockedUntil: now - 1 }, now - 1],
  ])('GIVEN %s WHEN asked THEN minting is allowed after the interval and any 429', (_given, record, expected) => {
    expect(nextMintAllowedAt(record, INTERVAL)).toBe(expected);
  });
});

describe('decideStoredToken', () => {
  const fresh: TokenRecord = {
    accessToken: 'T',
    accessTokenExpiresAt: now + 1000,
    refreshAt: now + 500,
    lastMintAt: now - 100_000,
  };
  const due: TokenRecord = { ...fresh, refreshAt: now - 1 };
  const expired: TokenRecord = { ...fresh, refreshAt: now - 2, accessTokenExpiresAt: now - 1 };

  it.each<[string, TokenRecord | undefined, ReturnType<typeof decideStoredToken>]>([
    ['no item', undefined, { kind: 'refresh', seenRefreshAt: undefined }],
    ['a fresh token', fresh, { kind: 'use', token: 'T', expiresAt: now + 1000, refreshAt: now + 500 }],
    ['a token due for refresh', due, { kind: 'refresh', seenRefreshAt: now - 1 }],
    ['an expired token', expired, { kind: 'refresh', seenRefreshAt: now - 2 }],
    [
      'a refused token',
      { refreshAt: 0, accessTokenExpiresAt: 0, lastMintAt: now - 100_000 },
      { kind: 'refresh', seenRefreshAt: 0 },
    ],
    [
      'a live lock and a due token',
      { ...due, lockOwner: 'x', lockUntil: now },
      { kind: 'wait-for-refresh', lockUntil: now, usable: { token: 'T', expiresAt: now + 1000 } },
    ],
    [
      'a live lock and no token',
      { lockOwner: 'x', lockUntil: now + 5000 },
      { kind: 'wait-for-refresh', lockUntil: now + 5000 },
    ],
    ['a lapsed lock', { ...expired, lockOwner: 'x', lockUntil: now - 1 }, { kind: 'refresh', seenRefreshAt: now - 2 }],
    [
      'a recent mint and an expired token',
      { ...expired, lastMintAt: now - 10_000 },
      { kind: 'wait-for-mint', untilMs: now + 50_000 },
    ],
    [
      'a recent mint and a due token',
      { ...due, lastMintAt: now - 10_000 },
      { kind: 'wait-for-mint', untilMs: now + 50_000, usable: { token: 'T', expiresAt: now + 1000 } },
    ],
    ['a 429 block and no token', { mintBlockedUntil: now + 30_000 }, { kind: 'wait-for-mint', untilMs: now + 30_000 }],
    [
      'a fresh token and a live lock',
      { ...fresh, lockOwner: 'x', lockUntil: now + 5000 },
      { kind: 'use', token: 'T', expiresAt: now + 1000, refreshAt: now + 500 },
    ],
  ])('GIVEN %s WHEN a caller needs a token THEN the decision is as expected', (_given, record, expected) => {
    expect(decideStoredToken(record, now, INTERVAL)).toEqual(expected);
  });
});

describe('throttledUntil', () => {
  it.each<[string, number | undefined, number, number]>([
    ['no Retry-After', undefined, INTERVAL, now + INTERVAL],
    ['a Retry-After earlier than the interval', now + 5000, INTERVAL, now + INTERVAL],
    ['a Retry-After later than the interval', now + 90_000, INTERVAL, now + 90_000],
    ['no mint interval configured', undefined, 0, now + 30_000],
  ])(
    'GIVEN a 429 with %s WHEN deciding THEN minting waits for the later of the two',
    (_given, retryAfterMs, interval, expected) => {
      expect(throttledUntil(now, retryAfterMs, interval, 30_000)).toBe(expected);
    },
  );
});

describe('clock skew in the token decisions', () => {
  it('GIVEN a mint 10 s ago on another clock and a 1.5 s skew WHEN asked THEN minting waits 1.5 s past the interval', () => {
    expect(nextMintAllowedAt({ lastMintAt: now - 10_000 }, INTERVAL, 1500)).toBe(now + 51_500);
  });

  it('GIVEN a token expiring in 1 s and a 1.5 s skew WHEN decided THEN it is no longer handed out', () => {
    const record: TokenRecord = { accessToken: 'T', accessTokenExpiresAt: now + 1000, refreshAt: now - 1 };
    expect(decideStoredToken(record, now, INTERVAL, 1500)).toEqual({ kind: 'refresh', seenRefreshAt: now - 1 });
  });

  it('GIVEN a lock that lapsed 1 s ago on its writer clock and a 1.5 s skew WHEN decided THEN it still counts as held', () => {
    const record: TokenRecord = { lockOwner: 'x', lockUntil: now - 1000 };
    expect(decideStoredToken(record, now, INTERVAL, 1500)).toEqual({ kind: 'wait-for-refresh', lockUntil: now + 500 });
  });
});

describe('refreshBackoffMs', () => {
  const config = resolveGateSettings().gate; // failure backoff 1 s doubling to 300 s

  it.each([
    [1, 1000],
    [2, 2000],
    [5, 16_000],
    [9, 256_000],
    [10, 300_000],
    [100, 300_000],
  ])('GIVEN %i failed refreshes in a row WHEN asked THEN nobody tries again for %i ms', (failures, expected) => {
    expect(refreshBackoffMs(failures, config)).toBe(expected);
  });
});

describe('throttledUntil with a ceiling', () => {
  it('GIVEN a token-endpoint Retry-After years away WHEN bounded by 24 h THEN minting resumes after 24 h', () => {
    expect(throttledUntil(now, now + 1e12, INTERVAL, 60_000, 86_400_000)).toBe(now + 86_400_000);
  });
});
