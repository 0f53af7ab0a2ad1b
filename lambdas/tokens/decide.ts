import type { TokenRecord } from './ports';

/**
 * The token cache's decisions as pure functions of the stored item and the time: when a token is due, whether
 * a caller may refresh, and how long it must wait otherwise. Times are epoch milliseconds.
 */

/** Share of an access token's lifetime after which it is refreshed, so callers never hold an expired one. */
export const DEFAULT_REFRESH_FRACTION = 0.9;

/** When a token issued at `issuedAt` for `expiresInSeconds` expires, and when it is due for a refresh. */
export function tokenSchedule(
  issuedAt: number,
  expiresInSeconds: number,
  refreshFraction: number = DEFAULT_REFRESH_FRACTION,
): { readonly expiresAt: number; readonly refreshAt: number } {
  const lifetimeMs = expiresInSeconds * 1000;
  return { expiresAt: issuedAt + lifetimeMs, refreshAt: issuedAt + Math.floor(lifetimeMs * refreshFraction) };
}

/** The earliest time anyone may mint for this user: after the mint interval and after any 429 from Outreach. */
export function nextMintAllowedAt(record: TokenRecord | undefined, minMintIntervalMs: number): number {
  const afterLastMint = record?.lastMintAt === undefined ? 0 : record.lastMintAt + minMintIntervalMs;
  return Math.max(afterLastMint, record?.mintBlockedUntil ?? 0);
}

/** A stored token that still works (though it may be due for a refresh). */
export interface UsableToken {
  readonly token: string;
  readonly expiresAt: number;
}

/** What to do with the stored item. */
export type StoredTokenDecision =
  /** The stored token is fresh: use it until `refreshAt`. */
  | { readonly kind: 'use'; readonly token: string; readonly expiresAt: number; readonly refreshAt: number }
  /** The token is due and nothing stops this caller: try to take the refresh lock. */
  | { readonly kind: 'refresh'; readonly seenRefreshAt: number | undefined }
  /** Someone else is refreshing until at most `lockUntil`; meanwhile the old token may still work. */
  | { readonly kind: 'wait-for-refresh'; readonly lockUntil: number; readonly usable?: UsableToken }
  /** Nobody may mint before `untilMs` (mint interval or a 429); meanwhile the old token may still work. */
  | { readonly kind: 'wait-for-mint'; readonly untilMs: number; readonly usable?: UsableToken };

/**
 * Decides from the stored item what a caller needing a token does now. A token is fresh before its
 * `refreshAt`; past it but before its expiry it is still handed out while someone refreshes or the mint
 * interval runs. A live lock (`lockUntil ≥ now`) means someone else is refreshing.
 */
export function decideStoredToken(
  record: TokenRecord | undefined,
  now: number,
  minMintIntervalMs: number,
): StoredTokenDecision {
  const token = record?.accessToken;
  const expiresAt = record?.accessTokenExpiresAt;
  const refreshAt = record?.refreshAt;
  const usable: UsableToken | undefined =
    token !== undefined && expiresAt !== undefined && now < expiresAt ? { token, expiresAt } : undefined;
  if (usable !== undefined && refreshAt !== undefined && now < refreshAt) {
    return { kind: 'use', token: usable.token, expiresAt: usable.expiresAt, refreshAt };
  }
  const lockUntil = record?.lockUntil;
  if (lockUntil !== undefined && lockUntil >= now) {
    return { kind: 'wait-for-refresh', lockUntil, ...(usable ? { usable } : {}) };
  }
  const mintAllowedAt = nextMintAllowedAt(record, minMintIntervalMs);
  if (mintAllowedAt > now) {
    return { kind: 'wait-for-mint', untilMs: mintAllowedAt, ...(usable ? { usable } : {}) };
  }
  return { kind: 'refresh', seenRefreshAt: refreshAt };
}

/** When to try minting again after Outreach's token endpoint answered 429. */
export function throttledUntil(
  now: number,
  retryAfterMs: number | undefined,
  minMintIntervalMs: number,
  fallbackWaitMs: number,
): number {
  const interval = minMintIntervalMs > 0 ? minMintIntervalMs : fallbackWaitMs;
  return Math.max(now + interval, retryAfterMs ?? 0);
}
