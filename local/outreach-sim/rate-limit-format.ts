/**
 * How limits are written on the wire: `X-RateLimit-*` headers, `Retry-After` in its three forms, and the
 * human-readable texts of Outreach's 429 and 503 bodies. Pure functions of their inputs.
 */
import type { ResetHeaderFormat, RetryAfterFormat } from './config';
import type { BudgetSnapshot } from './limiter';

/** `Retry-After` for a retry allowed at `retryAtMs`, or null when the format is `none`. */
export function formatRetryAfter(format: RetryAfterFormat, retryAtMs: number, now: number): string | null {
  switch (format) {
    case 'none':
      return null;
    case 'delta':
      return String(Math.max(0, Math.ceil((retryAtMs - now) / 1000)));
    case 'epoch':
      return String(Math.ceil(retryAtMs / 1000));
    case 'http-date':
      return new Date(Math.ceil(retryAtMs / 1000) * 1000).toUTCString();
  }
}

/** The three `X-RateLimit-*` headers for a budget snapshot. */
export function rateLimitHeaders(
  snapshot: BudgetSnapshot,
  resetFormat: ResetHeaderFormat,
  now: number,
): Record<string, string> {
  const reset =
    resetFormat === 'epoch'
      ? Math.ceil(snapshot.resetAtMs / 1000)
      : Math.max(0, Math.ceil((snapshot.resetAtMs - now) / 1000));
  return {
    'x-ratelimit-limit': String(snapshot.limit),
    'x-ratelimit-remaining': String(snapshot.remaining),
    'x-ratelimit-reset': String(reset),
  };
}

/** `2017-01-01T00:00:00`: the retry time as Outreach writes it (UTC, whole seconds, rounded up). */
export function formatTryAgainAt(retryAtMs: number): string {
  return new Date(Math.ceil(retryAtMs / 1000) * 1000).toISOString().slice(0, 19);
}

/** The detail of a 429: `You have exceeded your permitted rate limit of 10,000; please try again at …`. */
export function rateLimitDetail(limit: number, retryAtMs: number): string {
  return `You have exceeded your permitted rate limit of ${limit.toLocaleString('en-US')}; please try again at ${formatTryAgainAt(retryAtMs)}.`;
}
