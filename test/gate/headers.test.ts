import {
  boundHeaderTime,
  clampedHeaders,
  cooldownUntilFor429,
  headerValue,
  parseRetryAfter,
  readRateLimitHeaders,
  retryAfterEnd,
  retryAfterUntil,
} from '../../lambdas/gate/headers';
import { resolveGateSettings } from '../../lib/settings';

const now = Date.UTC(2026, 0, 15, 12, 0, 0);
const config = resolveGateSettings({ defaultCooldownSeconds: 60 }).gate;

describe('parseRetryAfter', () => {
  it.each([
    ['delta-seconds', '10', now + 10_000],
    ['fractional delta-seconds', '1.5', now + 1_500],
    ['zero delta-seconds', '0', now],
    ['delta-seconds with whitespace', '  7 ', now + 7_000],
    ['epoch seconds (above 10^9)', '1768478460', 1_768_478_460_000],
    ['fractional epoch seconds', '1768478460.25', 1_768_478_460_250],
    ['epoch milliseconds (above 10^12)', '1768478460123', 1_768_478_460_123],
    ['IMF-fixdate', 'Wed, 21 Oct 2015 07:28:00 GMT', Date.UTC(2015, 9, 21, 7, 28, 0)],
    ['RFC 850 date', 'Wednesday, 21-Oct-15 07:28:00 GMT', Date.UTC(2015, 9, 21, 7, 28, 0)],
    ['asctime date', 'Wed Oct 21 07:28:00 2015', Date.parse('Wed Oct 21 07:28:00 2015')],
    ['ISO time without zone, read as UTC', '2017-01-01T00:00:00', Date.UTC(2017, 0, 1)],
  ])('GIVEN %s WHEN parsed THEN gives the absolute time it states', (_form, value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });

  it.each([
    ['delta-seconds (counted from receipt: exact)', '10', now + 10_000],
    ['whole epoch seconds, rounded up to the next second', '1768478460', 1_768_478_461_000],
    ['fractional epoch seconds', '1768478460.25', 1_768_478_460_250],
    ['epoch milliseconds', '1768478460123', 1_768_478_460_123],
    ['an IMF-fixdate, rounded up to the next second', 'Wed, 21 Oct 2015 07:28:00 GMT', Date.UTC(2015, 9, 21, 7, 28, 1)],
    ['an ISO time without zone, rounded up', '2017-01-01T00:00:00', Date.UTC(2017, 0, 1, 0, 0, 1)],
    ['an ISO time with milliseconds', '2017-01-01T00:00:00.250', Date.UTC(2017, 0, 1, 0, 0, 0, 250)],
    ['an ISO time without seconds, rounded up a minute', '2017-01-01T00:00', Date.UTC(2017, 0, 1, 0, 1, 0)],
  ])('GIVEN %s WHEN its end is asked for THEN it is rounded up to the value resolution', (_form, value, expected) => {
    expect(retryAfterEnd(value, now)).toBe(expected);
  });

  it.each([
    ['absent', undefined],
    ['empty', ''],
    ['negative', '-5'],
    ['garbage', 'soon'],
    ['a number with a unit', '10s'],
    ['exponent notation', '1e3'],
    ['infinity', 'Infinity'],
    ['a date-like string that is not a date', 'Foo, 99 Bar 2015 99:99:99 GMT'],
  ])('GIVEN %s WHEN parsed THEN gives undefined', (_form, value) => {
    expect(parseRetryAfter(value, now)).toBeUndefined();
  });
});

describe('readRateLimitHeaders', () => {
  const reset = Math.floor(now / 1000) + 1800;

  it('GIVEN all three headers WHEN read THEN reports limit, remaining and the reset as epoch ms', () => {
    const headers = { 'X-RateLimit-Limit': '10000', 'X-RateLimit-Remaining': '9870', 'X-RateLimit-Reset': `${reset}` };
    expect(readRateLimitHeaders(headers, now)).toEqual({
      limit: 10_000,
      remaining: 9_870,
      resetAtMs: reset * 1000,
      observedAt: now,
    });
  });

  it('GIVEN a Fetch Headers object WHEN read THEN headers are found case-insensitively', () => {
    const headers = new Headers({ 'x-ratelimit-limit': '500', 'x-ratelimit-remaining': '0' });
    expect(readRateLimitHeaders(headers, now)).toEqual({ limit: 500, remaining: 0, observedAt: now });
  });

  it('GIVEN a small Reset value WHEN read THEN it is taken as delta-seconds', () => {
    expect(readRateLimitHeaders({ 'x-ratelimit-reset': '30' }, now)).toEqual({
      resetAtMs: now + 30_000,
      observedAt: now,
    });
  });

  it.each([
    ['no headers at all', undefined],
    ['an empty header set', {}],
    ['only unrelated headers', { 'content-type': 'application/vnd.api+json' }],
    [
      'garbage in every header',
      { 'x-ratelimit-limit': 'lots', 'x-ratelimit-remaining': '-1', 'x-ratelimit-reset': 'later' },
    ],
  ])('GIVEN %s WHEN read THEN gives undefined without throwing', (_case, headers) => {
    expect(readRateLimitHeaders(headers, now)).toBeUndefined();
  });

  it.each([
    ['a missing reset', { 'x-ratelimit-limit': '100', 'x-ratelimit-remaining': '5' }, { limit: 100, remaining: 5 }],
    ['a garbled limit', { 'x-ratelimit-limit': 'abc', 'x-ratelimit-remaining': '5' }, { remaining: 5 }],
    ['a zero limit', { 'x-ratelimit-limit': '0', 'x-ratelimit-remaining': '5' }, { remaining: 5 }],
    ['a fractional remaining', { 'x-ratelimit-remaining': '2.5', 'x-ratelimit-limit': '9' }, { limit: 9 }],
  ])('GIVEN %s WHEN read THEN reports only the readable fields', (_case, headers, expected) => {
    expect(readRateLimitHeaders(headers, now)).toEqual({ ...expected, observedAt: now });
  });

  it('GIVEN a header repeated as an array or joined with commas WHEN read THEN the first value is used', () => {
    expect(headerValue({ 'X-RateLimit-Limit': ['100', '200'] }, 'x-ratelimit-limit')).toBe('100');
    expect(readRateLimitHeaders({ 'X-RateLimit-Limit': '100, 200' }, now)?.limit).toBe(100);
  });
});

describe('cooldownUntilFor429', () => {
  const resetSeconds = Math.floor(now / 1000) + 600;

  it.each([
    [
      'Retry-After delta-seconds',
      { 'retry-after': '10', 'x-ratelimit-reset': `${resetSeconds}` },
      now + 10_000,
      'retry-after',
    ],
    [
      'Retry-After as an epoch alias of Reset (rounded up a second)',
      { 'retry-after': `${resetSeconds}` },
      resetSeconds * 1000 + 1000,
      'retry-after',
    ],
    [
      'Retry-After as an HTTP-date (rounded up a second)',
      { 'retry-after': new Date(now + 90_000).toUTCString() },
      now + 91_000,
      'retry-after',
    ],
    ['Retry-After in epoch milliseconds', { 'retry-after': `${now + 30_000}` }, now + 30_000, 'retry-after'],
    [
      'only X-RateLimit-Reset (rounded up a second)',
      { 'x-ratelimit-reset': `${resetSeconds}` },
      resetSeconds * 1000 + 1000,
      'reset',
    ],
    [
      'garbage Retry-After and a Reset',
      { 'retry-after': 'soon', 'x-ratelimit-reset': `${resetSeconds}` },
      resetSeconds * 1000 + 1000,
      'reset',
    ],
    [
      'a Retry-After in the past and a Reset',
      { 'retry-after': 'Wed, 21 Oct 2015 07:28:00 GMT', 'x-ratelimit-reset': `${resetSeconds}` },
      resetSeconds * 1000 + 1000,
      'reset',
    ],
    ['no rate-limit headers at all', {}, now + 60_000, 'default'],
    ['no headers object', undefined, now + 60_000, 'default'],
    ['a Reset in the past', { 'x-ratelimit-reset': `${Math.floor(now / 1000) - 5}` }, now + 60_000, 'default'],
  ])(
    'GIVEN a 429 with %s WHEN the cool-down is computed THEN it lasts until the expected time',
    (_case, headers, untilMs, source) => {
      expect(cooldownUntilFor429(headers, now, config)).toEqual({ untilMs, source });
    },
  );
});

describe('header times rounded up to their resolution', () => {
  it('GIVEN a cool-down ending at .700 stated as an HTTP-date (milliseconds dropped) WHEN parsed THEN the wait ends after the true end', () => {
    const trueEnd = now + 12_700;
    const until = retryAfterEnd(new Date(trueEnd).toUTCString(), now);
    expect(until).toBeGreaterThanOrEqual(trueEnd);
    expect(until).toBe(now + 13_000);
  });
});

describe('header times bounded by the ceiling', () => {
  const ceilingConfig = resolveGateSettings({ maxHeaderWaitSeconds: 3600 }).gate;

  it('GIVEN the default settings WHEN resolved THEN the ceiling is 24 hours', () => {
    expect(config.timing.maxHeaderWaitMs).toBe(86_400_000);
  });

  it('GIVEN a Retry-After of epoch milliseconds WHEN the cool-down is computed THEN it ends then, not 55,000 years later', () => {
    const epochMs = now + 45_000;
    expect(cooldownUntilFor429({ 'retry-after': String(epochMs) }, now, config).untilMs).toBe(epochMs);
  });

  it('GIVEN a Retry-After far beyond the ceiling WHEN the cool-down is computed THEN it is clamped and says what was asked', () => {
    const asked = now + 10 * 86_400_000;
    expect(cooldownUntilFor429({ 'retry-after': String(asked) }, now, config)).toEqual({
      untilMs: now + 86_400_000,
      source: 'retry-after',
      clampedFromMs: asked,
    });
  });

  it('GIVEN a configured ceiling of one hour WHEN a Reset two hours away is read THEN the observed reset is one hour away', () => {
    const reset = Math.floor(now / 1000) + 7200;
    expect(readRateLimitHeaders({ 'x-ratelimit-reset': String(reset) }, now, ceilingConfig)?.resetAtMs).toBe(
      now + 3_600_000,
    );
  });

  it('GIVEN a time within the ceiling WHEN bounded THEN it is unchanged and not marked clamped', () => {
    expect(boundHeaderTime(now + 1000, now, config)).toEqual({ atMs: now + 1000 });
  });

  it('GIVEN a response with a clamped Retry-After and a sane Reset WHEN inspected THEN only the Retry-After is reported', () => {
    const headers = { 'retry-after': '999999999', 'x-ratelimit-reset': String(Math.floor(now / 1000) + 60) };
    expect(clampedHeaders(headers, now, ceilingConfig)).toEqual([
      { header: 'retry-after', statedMs: now + 999_999_999_000, usedMs: now + 3_600_000 },
    ]);
  });

  it('GIVEN a Retry-After in the past WHEN asked for the time it names THEN there is none', () => {
    expect(retryAfterUntil({ 'retry-after': String(Math.floor(now / 1000) - 10) }, now, config)).toBeUndefined();
  });
});
