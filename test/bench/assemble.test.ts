import { AssembleError, assembleBench, checkTargets, contenderEntry, type ScenarioRuns } from '../../bench/assemble';
import type { PriceTable } from '../../bench/pricing';
import type { ContenderName, ContenderResult } from '../../bench/types';

const PRICES: PriceTable = {
  region: 'test-region',
  checkedOn: '2026-01-01',
  sources: ['test'],
  sqsFifoPerMillionRequests: 1,
  lambdaArmPerGbSecond: 0,
  lambdaPerMillionRequests: 0,
  dynamodbPerMillionWriteUnits: 0,
  dynamodbPerMillionReadUnits: 0,
};

function result(contender: ContenderName, patch: Partial<ContenderResult> = {}): ContenderResult {
  return {
    contender,
    intents: 100,
    clearanceMs: 3_600_000,
    succeeded: 100,
    failed: 0,
    lost: 0,
    duplicatesCreated: 0,
    upstreamCalls: 110,
    status429: 1,
    max429PerUserWindow: 1,
    firstRetryAfterMs: 10_000,
    maxRetryAfterMs: 10_000,
    maxInFlight: 8,
    inFlightCap: 8,
    waitsMs: { critical: { p50: 1_000, p99: 2_000, count: 5 }, bulk: { p50: 600_000, p99: 1_800_000, count: 95 } },
    dynamodbRequestsPerIntent: 0,
    aws: null,
    series: { upstreamPerSecond: [], cooldowns: [] },
    wallMs: 30_000,
    scorecard: {
      retryRatio: 1 / 99,
      producerFinishMs: { a: 3_000_000, b: 3_600_000 },
      producerSpreadStdevMs: 300_000,
      producerSpreadRangeMs: 600_000,
      longestWaitMs: 1_800_000,
      timeToClearMs: 3_600_000,
    },
    ...patch,
  };
}

const scenario = (name: string, results: ContenderResult[], patch: Partial<ScenarioRuns> = {}): ScenarioRuns => ({
  name,
  idealMs: 3_000_000,
  penalty: false,
  rateLimitHeaders: true,
  results,
  ...patch,
});

describe('contenderEntry', () => {
  it('GIVEN a clearance of 60 min and an ideal of 50 min WHEN assembled THEN clearanceRatio is 1.2', () => {
    expect(contenderEntry(result('gate'), 3_000_000, PRICES).clearanceRatio).toBe(1.2);
  });

  it('GIVEN 110 upstream calls for 100 intents WHEN assembled THEN upstreamCallsPerIntent is 1.1', () => {
    expect(contenderEntry(result('naive'), 3_000_000, PRICES).upstreamCallsPerIntent).toBe(1.1);
  });

  it('GIVEN no critical intent succeeded WHEN assembled THEN the critical waits are null', () => {
    const entry = contenderEntry(result('naive', { waitsMs: {} }), 3_000_000, PRICES);
    expect([entry.criticalWaitP50Ms, entry.criticalWaitP99Ms]).toEqual([null, null]);
  });

  it('GIVEN measured AWS usage WHEN assembled THEN it is priced per million intents', () => {
    const aws = {
      sqsRequests: 300,
      lambdaInvocations: 0,
      lambdaHandlerMs: 0,
      lambdaMemoryMiB: 512,
      dynamodbReads: 0,
      dynamodbWrites: 0,
    };
    // 300 requests at $1 per million for 100 intents: $3 per million intents.
    expect(contenderEntry(result('gate', { aws }), 3_000_000, PRICES).usdPerMillionIntents).toBe(3);
  });

  it('GIVEN a scorecard WHEN assembled THEN its fields are in the row, the ratio to 4 digits and durations to the ms', () => {
    const scorecard = {
      retryRatio: 1 / 3,
      producerFinishMs: { a: 1_000.4, b: 2_000.6 },
      producerSpreadStdevMs: 500.5,
      producerSpreadRangeMs: 1_000.2,
      longestWaitMs: 1_999.9,
      timeToClearMs: 2_000.6,
    };
    expect(contenderEntry(result('bottleneck-cluster', { scorecard }), 3_000_000, PRICES)).toMatchObject({
      retryRatio: 0.3333,
      producerFinishMs: { a: 1_000, b: 2_001 },
      producerSpreadStdevMs: 501,
      producerSpreadRangeMs: 1_000,
      longestWaitMs: 2_000,
      timeToClearMs: 2_001,
    });
  });

  it('GIVEN a scorecard the contender could not measure in part WHEN assembled THEN those fields stay null', () => {
    const scorecard = {
      retryRatio: null,
      producerFinishMs: null,
      producerSpreadStdevMs: null,
      producerSpreadRangeMs: null,
      longestWaitMs: null,
      timeToClearMs: 10,
    };
    expect(contenderEntry(result('gate', { scorecard }), 3_000_000, PRICES)).toMatchObject({
      retryRatio: null,
      producerFinishMs: null,
      producerSpreadStdevMs: null,
      producerSpreadRangeMs: null,
      longestWaitMs: null,
    });
  });

  it('GIVEN waits per lane WHEN assembled THEN every lane has its p50, p99 and count, rounded to the ms', () => {
    const waitsMs = {
      bulk: { p50: 600_000.4, p99: 1_800_000.6, count: 95 },
      standard: { p50: 1.2, p99: 9.8, count: 3 },
    };
    expect(contenderEntry(result('naive', { waitsMs }), 3_000_000, PRICES).laneWaitsMs).toEqual({
      bulk: { p50: 600_000, p99: 1_800_001, count: 95 },
      standard: { p50: 1, p99: 10, count: 3 },
    });
  });

  it('GIVEN no ideal WHEN assembled THEN an AssembleError names idealMs', () => {
    expect(() => contenderEntry(result('gate'), 0, PRICES)).toThrow(/idealMs must be above 0/);
  });
});

describe('assembleBench', () => {
  const meta = { machine: 'test machine', date: '2026-01-01T00:00:00.000Z', quick: true };

  it('GIVEN results in any order WHEN assembled THEN every contender has a row with every field', () => {
    const bench = assembleBench(
      meta,
      [scenario('seed-002', [result('gate'), result('bottleneck-cluster'), result('naive'), result('bottleneck')])],
      PRICES,
    );
    const contenders = bench.scenarios['seed-002']?.contenders ?? {};
    expect(Object.keys(contenders)).toEqual(['naive', 'bottleneck', 'bottleneck-cluster', 'gate']);
    for (const entry of Object.values(contenders)) {
      expect(Object.keys(entry).sort()).toEqual(
        [
          'clearanceMs',
          'clearanceRatio',
          'criticalWaitP50Ms',
          'criticalWaitP99Ms',
          'laneWaitsMs',
          'duplicatesCreated',
          'dynamodbRequestsPerIntent',
          'firstRetryAfterMs',
          'inFlightCap',
          'lost',
          'maxInFlight',
          'maxRetryAfterMs',
          'status429',
          'succeeded',
          'upstreamCallsPerIntent',
          'usdPerMillionIntents',
          'retryRatio',
          'producerSpreadStdevMs',
          'producerSpreadRangeMs',
          'producerFinishMs',
          'longestWaitMs',
          'timeToClearMs',
        ].sort(),
      );
    }
  });

  it('GIVEN the run metadata WHEN assembled THEN bench.json carries it with the ideal per scenario', () => {
    const bench = assembleBench(meta, [scenario('seed-002', [result('gate')])], PRICES);
    expect(bench).toMatchObject({ ...meta, scenarios: { 'seed-002': { idealMs: 3_000_000 } } });
  });

  it('GIVEN a contender reported twice in one scenario WHEN assembled THEN an AssembleError names it', () => {
    expect(() => assembleBench(meta, [scenario('seed-002', [result('gate'), result('gate')])], PRICES)).toThrow(
      AssembleError,
    );
  });
});

describe('checkTargets', () => {
  const find = (checks: ReturnType<typeof checkTargets>, target: string, name: string) =>
    checks.find((check) => check.target.startsWith(target) && check.scenario === name);

  it('GIVEN penalty mode where the gate holds its first Retry-After and naive escalates WHEN checked THEN it is met', () => {
    const checks = checkTargets([
      scenario('seed-002', [result('gate'), result('naive', { maxRetryAfterMs: 210_000 })], { penalty: true }),
    ]);
    expect(find(checks, 'penalty mode', 'seed-002')?.met).toBe(true);
  });

  it('GIVEN naive taking 2.5 times the gate in seed-002 WHEN checked THEN the ratio target is met', () => {
    const checks = checkTargets([scenario('seed-002', [result('gate'), result('naive', { clearanceMs: 9_000_000 })])]);
    expect(find(checks, 'naive clearance ÷ gate clearance', 'seed-002')).toMatchObject({ met: true });
  });

  it('GIVEN two 429s in one window for the gate WHEN checked THEN the 429 target is missed with the count', () => {
    const checks = checkTargets([scenario('many-users', [result('gate', { max429PerUserWindow: 2 })])]);
    expect(find(checks, 'gate 429s', 'many-users')).toMatchObject({
      met: false,
      measured: expect.stringContaining('2'),
    });
  });

  it('GIVEN a scenario without rate-limit headers WHEN checked THEN the 429-per-window target is not applied', () => {
    const checks = checkTargets([scenario('unknown-limits', [result('gate')], { rateLimitHeaders: false })]);
    expect(find(checks, 'gate 429s', 'unknown-limits')).toBeUndefined();
  });

  it('GIVEN critical p99 of 2 s against a bulk median of 10 min WHEN checked THEN the urgency target is met', () => {
    const checks = checkTargets([scenario('bulk-and-urgent', [result('gate')])]);
    expect(find(checks, 'gate critical p99', 'bulk-and-urgent')?.met).toBe(true);
  });

  it('GIVEN the gate made calls as both principals and none was denied WHEN checked THEN the IAM target is met', () => {
    const iam = { calls: 30, byPrincipal: { dispatcher: 20, producer: 10 }, denied: 0 };
    const checks = checkTargets([scenario('many-users', [result('gate', { iam })])]);
    expect(find(checks, 'gate AWS calls denied by IAM', 'many-users')).toMatchObject({
      met: true,
      measured: '0 denied of 30 checked (dispatcher 20, producer 10)',
    });
  });

  it('GIVEN one gate call AWS would deny WHEN checked THEN the IAM target is missed', () => {
    const iam = { calls: 30, byPrincipal: { dispatcher: 20, producer: 10 }, denied: 1 };
    const checks = checkTargets([scenario('many-users', [result('gate', { iam })])]);
    expect(find(checks, 'gate AWS calls denied by IAM', 'many-users')?.met).toBe(false);
  });

  it('GIVEN no producer call was checked WHEN checked THEN the IAM target is missed', () => {
    const iam = { calls: 20, byPrincipal: { dispatcher: 20 }, denied: 0 };
    const checks = checkTargets([scenario('many-users', [result('gate', { iam })])]);
    expect(find(checks, 'gate AWS calls denied by IAM', 'many-users')?.met).toBe(false);
  });

  it('GIVEN seed-002 was not run WHEN checked THEN its targets are listed as not checked', () => {
    const checks = checkTargets([scenario('many-users', [result('gate')])]);
    expect(find(checks, 'gate clearanceRatio', 'seed-002')).toEqual({
      target: 'gate clearanceRatio ≤ 1.05',
      scenario: 'seed-002',
      met: null,
      measured: 'not run',
    });
  });
});
