import { type RetryPolicy, retryDecision } from '../../bench/contenders/direct';
import type { OutreachReply } from '../../lambdas/outreach/client';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const POLICY: RetryPolicy = { baseMs: 100, maxMs: 10_000, maxFailureAttempts: 3 };
/** A random source that always draws the top of the range, so backoff waits are their cap. */
const TOP = () => 1;

const response = (status: number, headers: Record<string, string> = {}): OutreachReply => ({
  kind: 'response',
  status,
  headers: new Headers(headers),
  body: undefined,
  latencyMs: 5,
});

describe('the naive retry decision', () => {
  it.each([
    ['delta-seconds', '10', 10_000],
    ['fractional delta-seconds', '1.5', 1_500],
    ['epoch seconds', String(NOW / 1000 + 30), 30_000],
    ['an HTTP-date', new Date(NOW + 45_000).toUTCString(), 45_000],
  ])('GIVEN a 429 with Retry-After as %s WHEN deciding THEN it waits what Outreach asked', (_, value, waitMs) => {
    expect(retryDecision(response(429, { 'retry-after': value }), 1, NOW, POLICY, TOP)).toEqual({
      retry: true,
      waitMs,
      because: 'retry-after',
    });
  });

  it.each([
    ['no Retry-After', {}],
    ['an unreadable Retry-After', { 'retry-after': 'soon' }],
    ['a Retry-After already past', { 'retry-after': new Date(NOW - 5_000).toUTCString() }],
  ])('GIVEN a 429 with %s WHEN deciding THEN it backs off exponentially', (_, headers) => {
    expect(retryDecision(response(429, headers), 3, NOW, POLICY, TOP)).toEqual({
      retry: true,
      waitMs: 400,
      because: 'backoff',
    });
  });

  it('GIVEN many 429s in a row WHEN deciding THEN it keeps retrying, backoff capped', () => {
    expect(retryDecision(response(429), 50, NOW, POLICY, TOP)).toEqual({
      retry: true,
      waitMs: 10_000,
      because: 'backoff',
    });
  });

  it.each([
    ['a 503', response(503)],
    [
      'no answer',
      { kind: 'no-response', reason: 'timeout', detail: 'no response', latencyMs: 10_000 } as OutreachReply,
    ],
  ])('GIVEN %s before the last attempt WHEN deciding THEN it retries blindly with backoff', (_, reply) => {
    expect(retryDecision(reply, 2, NOW, POLICY, TOP)).toEqual({ retry: true, waitMs: 200, because: 'backoff' });
  });

  it('GIVEN a 5xx on the last attempt WHEN deciding THEN it gives up with the reason', () => {
    expect(retryDecision(response(502), 3, NOW, POLICY, TOP)).toEqual({
      retry: false,
      reason: 'HTTP 502 on 3 attempts',
    });
  });

  it.each([404, 422, 400])('GIVEN a %i WHEN deciding THEN it gives up without retrying', (status) => {
    expect(retryDecision(response(status), 1, NOW, POLICY, TOP)).toEqual({ retry: false, reason: `HTTP ${status}` });
  });
});
