/** The scorecard's maths: retry ratio, spread of completion between producers, longest wait, time to clear. */
import {
  completionSpread,
  longestWait,
  producerFinishTimes,
  retryRatio,
  type ScoredOutcome,
  scorecardOfOutcomes,
  successfulRequests,
} from '../../bench/scorecard';

const outcome = (producer: string, dueAt: number, settledAt: number | null, status?: ScoredOutcome['status']) => ({
  producer,
  dueAt,
  settledAt,
  status: status ?? (settledAt === null ? ('open' as const) : ('succeeded' as const)),
});

describe('retryRatio', () => {
  test('GIVEN 5 429s and 200 successful requests WHEN computed THEN 0.025', () => {
    expect(retryRatio(5, 200)).toBe(0.025);
  });

  test('GIVEN no successful request WHEN computed THEN null rather than a division by zero', () => {
    expect(retryRatio(3, 0)).toBeNull();
  });

  test('GIVEN a negative count WHEN computed THEN a RangeError names it', () => {
    expect(() => retryRatio(-1, 10)).toThrow(/status429 must be ≥ 0, got -1/);
  });
});

describe('completionSpread', () => {
  test('GIVEN completions at 2, 4, 4, 4, 5, 5, 7 and 9 WHEN spread THEN stdev 2 and range 7', () => {
    expect(completionSpread([2, 4, 4, 4, 5, 5, 7, 9])).toEqual({ stdevMs: 2, rangeMs: 7 });
  });

  test('GIVEN one producer WHEN spread THEN nothing to spread: 0 and 0', () => {
    expect(completionSpread([42])).toEqual({ stdevMs: 0, rangeMs: 0 });
  });

  test('GIVEN no producers WHEN spread THEN nulls', () => {
    expect(completionSpread([])).toEqual({ stdevMs: null, rangeMs: null });
  });
});

describe('producerFinishTimes', () => {
  test('GIVEN two producers WHEN finished THEN each is its last settled intent since the start, in simulated ms', () => {
    const outcomes = [outcome('a', 1_000, 1_500), outcome('a', 1_000, 3_000), outcome('b', 1_000, 2_000)];
    expect(producerFinishTimes(outcomes, { startedAt: 1_000, endedAt: 9_000, timeScale: 10 })).toEqual({
      a: 20_000,
      b: 10_000,
    });
  });

  test('GIVEN an intent never settled WHEN finished THEN its producer finishes when the run stopped waiting', () => {
    const outcomes = [outcome('a', 1_000, 1_500), outcome('a', 1_000, null)];
    expect(producerFinishTimes(outcomes, { startedAt: 1_000, endedAt: 9_000, timeScale: 1 })).toEqual({ a: 8_000 });
  });
});

describe('longestWait', () => {
  test('GIVEN waits WHEN the longest is taken THEN the maximum', () => {
    expect(longestWait([3, 11, 7])).toBe(11);
  });

  test('GIVEN no waits WHEN the longest is taken THEN null', () => {
    expect(longestWait([])).toBeNull();
  });
});

describe('successfulRequests', () => {
  test('GIVEN counts by code and by class WHEN the 2xx are summed THEN 429s, 5xx and resets are left out', () => {
    expect(successfulRequests({ '200': 5, '201': 3, '2xx': 2, '429': 4, '503': 1, reset: 1, '5xx': 7 })).toBe(10);
  });
});

describe('scorecardOfOutcomes', () => {
  test('GIVEN a run of two producers WHEN scored THEN every field follows from the outcomes and counts', () => {
    const outcomes = [
      outcome('a', 0, 100),
      outcome('a', 50, 400),
      outcome('b', 0, 200),
      outcome('b', 0, 900, 'failed'),
    ];
    const card = scorecardOfOutcomes(outcomes, {
      startedAt: 0,
      endedAt: 1_000,
      timeScale: 2,
      status429: 6,
      successfulRequests: 12,
      clearanceMs: 1_800,
    });
    expect(card).toEqual({
      retryRatio: 0.5,
      producerFinishMs: { a: 800, b: 1_800 },
      producerSpreadStdevMs: 500,
      producerSpreadRangeMs: 1_000,
      // Failed intents do not count as waits: the longest is a's second (350 wall ms × 2).
      longestWaitMs: 700,
      timeToClearMs: 1_800,
    });
  });
});
