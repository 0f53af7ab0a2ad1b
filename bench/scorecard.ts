/**
 * The scorecard of rate-limit clients, after the rate_throttle_client study: how many requests were refused for
 * each one that succeeded (retry ratio), how evenly the producers sharing a user finished (spread of their
 * completion times), the longest any one intent waited, and the time to clear the whole workload. A limiter can
 * clear quickly by starving one producer, or be fair by retrying hard; the scorecard shows both. Pure functions.
 */

/** The scorecard of one contender on one scenario; durations in simulated ms. */
export interface Scorecard {
  /** 429s per successful (2xx) upstream request; null when no request succeeded. */
  readonly retryRatio: number | null;
  /** Each producer's completion: simulated ms from the first enqueue until its last intent settled. */
  readonly producerFinishMs: Readonly<Record<string, number>> | null;
  /** Population standard deviation of the producers' completion times; null when not measured. */
  readonly producerSpreadStdevMs: number | null;
  /** Latest minus earliest producer completion; null when not measured. */
  readonly producerSpreadRangeMs: number | null;
  /** Longest enqueue-to-settled wait of one intent that succeeded; null when none did or it was not measured. */
  readonly longestWaitMs: number | null;
  /** Simulated ms from the first enqueue until the last intent settled (the clearance). */
  readonly timeToClearMs: number;
}

/** 429s per successful request; null when there were no successful requests. */
export function retryRatio(status429: number, successfulRequests: number): number | null {
  if (!(Number.isFinite(status429) && status429 >= 0)) throw new RangeError(`status429 must be ≥ 0, got ${status429}`);
  if (!(Number.isFinite(successfulRequests) && successfulRequests >= 0)) {
    throw new RangeError(`successfulRequests must be ≥ 0, got ${successfulRequests}`);
  }
  return successfulRequests === 0 ? null : status429 / successfulRequests;
}

/** Standard deviation (population) and range of completion times; nulls for no times. */
export function completionSpread(times: readonly number[]): { stdevMs: number | null; rangeMs: number | null } {
  if (times.length === 0) return { stdevMs: null, rangeMs: null };
  const mean = times.reduce((sum, t) => sum + t, 0) / times.length;
  const variance = times.reduce((sum, t) => sum + (t - mean) ** 2, 0) / times.length;
  return { stdevMs: Math.sqrt(variance), rangeMs: Math.max(...times) - Math.min(...times) };
}

/** What the scorecard needs to know of one intent: its producer, and wall ms it was due and settled (null: open). */
export interface ScoredOutcome {
  readonly producer: string;
  readonly dueAt: number;
  readonly settledAt: number | null;
  readonly status: 'open' | 'succeeded' | 'failed';
}

/**
 * Each producer's completion in simulated ms since `startedAt`: when its last intent settled, or `endedAt` (when
 * the run stopped waiting) if any of its intents never did.
 */
export function producerFinishTimes(
  outcomes: readonly ScoredOutcome[],
  run: { readonly startedAt: number; readonly endedAt: number; readonly timeScale: number },
): Record<string, number> {
  const last = new Map<string, number>();
  for (const outcome of outcomes) {
    const at = outcome.settledAt ?? run.endedAt;
    last.set(outcome.producer, Math.max(last.get(outcome.producer) ?? run.startedAt, at));
  }
  return Object.fromEntries(
    [...last].map(([producer, at]) => [producer, Math.max(0, (at - run.startedAt) * run.timeScale)]),
  );
}

/** The longest of `waits`; null when there are none. */
export function longestWait(waits: Iterable<number>): number | null {
  let longest: number | null = null;
  for (const wait of waits) longest = longest === null ? wait : Math.max(longest, wait);
  return longest;
}

/** The scorecard of a run whose intents' outcomes are known one by one (the direct contenders). */
export function scorecardOfOutcomes(
  outcomes: readonly ScoredOutcome[],
  run: {
    readonly startedAt: number;
    readonly endedAt: number;
    readonly timeScale: number;
    readonly status429: number;
    readonly successfulRequests: number;
    readonly clearanceMs: number;
  },
): Scorecard {
  const finish = producerFinishTimes(outcomes, run);
  const spread = completionSpread(Object.values(finish));
  const waits = outcomes.flatMap((outcome) =>
    outcome.status === 'succeeded' && outcome.settledAt !== null
      ? [(outcome.settledAt - outcome.dueAt) * run.timeScale]
      : [],
  );
  return {
    retryRatio: retryRatio(run.status429, run.successfulRequests),
    producerFinishMs: finish,
    producerSpreadStdevMs: spread.stdevMs,
    producerSpreadRangeMs: spread.rangeMs,
    longestWaitMs: longestWait(waits),
    timeToClearMs: run.clearanceMs,
  };
}

/** Requests answered 2xx in a status count keyed by code (`"201"`) or class (`"2xx"`). */
export function successfulRequests(byStatus: Readonly<Record<string, number>>): number {
  return Object.entries(byStatus).reduce(
    (sum, [status, count]) => (/^2(\d\d|xx)$/.test(status) ? sum + count : sum),
    0,
  );
}
