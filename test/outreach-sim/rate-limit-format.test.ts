import { formatRetryAfter, rateLimitDetail, rateLimitHeaders } from '../../local/outreach-sim/rate-limit-format';

const NOW = Date.UTC(2030, 0, 1, 0, 0, 0);

describe('Retry-After formats', () => {
  test.each([
    ['delta', '10'],
    ['epoch', String(NOW / 1000 + 10)],
    ['http-date', 'Tue, 01 Jan 2030 00:00:10 GMT'],
    ['none', null],
  ] as const)('GIVEN format %s WHEN a retry is 9.2 s away THEN the header is %s', (format, expected) => {
    expect(formatRetryAfter(format, NOW + 9_200, NOW)).toBe(expected);
  });
});

describe('rate-limit headers', () => {
  test('GIVEN epoch format WHEN written THEN reset is epoch seconds rounded up', () => {
    expect(rateLimitHeaders({ limit: 10_000, remaining: 7, resetAtMs: NOW + 1_500 }, 'epoch', NOW)).toEqual({
      'x-ratelimit-limit': '10000',
      'x-ratelimit-remaining': '7',
      'x-ratelimit-reset': String(NOW / 1000 + 2),
    });
  });

  test('GIVEN delta format WHEN written THEN reset is seconds from now', () => {
    expect(
      rateLimitHeaders({ limit: 5, remaining: 0, resetAtMs: NOW + 3_000 }, 'delta', NOW)['x-ratelimit-reset'],
    ).toBe('3');
  });
});

test('GIVEN a limit and a retry time WHEN the 429 detail is written THEN it reads like Outreach', () => {
  expect(rateLimitDetail(10_000, Date.UTC(2017, 0, 1, 0, 0, 0))).toBe(
    'You have exceeded your permitted rate limit of 10,000; please try again at 2017-01-01T00:00:00.',
  );
});
