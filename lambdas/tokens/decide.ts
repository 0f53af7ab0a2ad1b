import type { GateConfig } from '../shared/config';
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

/**
 * The earliest time anyone may mint for this user: after the mint interval, after any 429 from Outreach or a
 * failed refresh's backoff, each counted `skewMs` later (they were written on other clocks).
 */
export function nextMintAllowedAt(record: TokenRecord | undefined, minMintIntervalMs: number, skewMs = 0): number {
  const afterLastMint = record?.lastMintAt === undefined ? 0 : record.lastMintAt + minMintIntervalMs + skewMs;
  const afterBlock = record?.mintBlockedUntil === undefined ? 0 : record.mintBlockedUntil + skewMs;
  return Math.max(afterLastMint, afterBlock);
}

/**
 * How long nobody tries to refresh after `failures` failed refreshes in a row: the failure backoff's base
 * doubled per failure, capped at its maximum. Shared through the token item, so one user's broken token endpoint
 * costs one attempt per backoff, not one per intent.
 */
export function refreshBackoffMs(failures: number, config: Pick<GateConfig, 'retries'>): number {
  const { backoffBaseMs, backoffMaxMs } = config.retries;
  return Math.min(backoffMaxMs, backoffBaseMs * 2 ** Math.max(0, Math.min(failures - 1, 30)));
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
  skewMs = 0,
): StoredTokenDecision {
  const token = record?.accessToken;
  const expiresAt = record?.accessTokenExpiresAt;
  const refreshAt = record?.refreshAt;
  // The expiry was computed on the minting process's clock: trust the token only until the skew before it.
  const usable: UsableToken | undefined =
    token !== undefined && expiresAt !== undefined && now < expiresAt - skewMs ? { token, expiresAt } : undefined;
  if (usable !== undefined && refreshAt !== undefined && now < refreshAt) {
    return { kind: 'use', token: usable.token, expiresAt: usable.expiresAt, refreshAt };
  }
  const lockUntil = record?.lockUntil;
  if (lockUntil !== undefined && lockUntil + skewMs >= now) {
    return { kind: 'wait-for-refresh', lockUntil: lockUntil + skewMs, ...(usable ? { usable } : {}) };
  }
  const mintAllowedAt = nextMintAllowedAt(record, minMintIntervalMs, skewMs);
  if (mintAllowedAt > now) {
    return { kind: 'wait-for-mint', untilMs: mintAllowedAt, ...(usable ? { usable } : {}) };
  }
  return { kind: 'refresh', seenRefreshAt: refreshAt };
}

/**
 * When to try minting again after Outreach's token endpoint answered 429: after its Retry-After (bounded by
 * `maxWaitMs` after `now`: a garbled header must not lock a user out for years) and at least one mint interval.
 */
export function throttledUntil(
  now: number,
  retryAfterMs: number | undefined,
  minMintIntervalMs: number,
  fallbackWaitMs: number,
  maxWaitMs: number = Number.POSITIVE_INFINITY,
): number {
  const interval = minMintIntervalMs > 0 ? minMintIntervalMs : fallbackWaitMs;
  return Math.max(now + interval, Math.min(retryAfterMs ?? 0, now + maxWaitMs));
}
