import { AssembleError, assembleBench, contenderEntry, type ScenarioRuns } from '../../bench/assemble';
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
    status429ByUserWindow: { u1: [1] },
    callsDuringCooldown: null,
    bulkEnrolments: null,
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
  injectedFaults: false,
  limitPerHour: 10_000,
  results,
  ...patch,
});

const IDEAL = { idealMs: 3_000_000, limitPerHour: 10_000 };

describe('contenderEntry', () => {
  it('GIVEN a clearance of 60 min and an ideal of 50 min WHEN assembled THEN clearanceRatio is 1.2', () => {
    expect(contenderEntry(result('gate'), IDEAL, PRICES).clearanceRatio).toBe(1.2);
  });

  it('GIVEN 110 upstream calls for 100 intents WHEN assembled THEN upstreamCallsPerIntent is 1.1', () => {
    expect(contenderEntry(result('naive'), IDEAL, PRICES).upstreamCallsPerIntent).toBe(1.1);
  });

  it('GIVEN no critical intent succeeded WHEN assembled THEN the critical waits are null', () => {
    const entry = contenderEntry(result('naive', { waitsMs: {} }), IDEAL, PRICES);
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
    expect(contenderEntry(result('gate', { aws }), IDEAL, PRICES).usdPerMillionIntents).toBe(3);
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
    expect(contenderEntry(result('bottleneck-cluster', { scorecard }), IDEAL, PRICES)).toMatchObject({
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
    expect(contenderEntry(result('gate', { scorecard }), IDEAL, PRICES)).toMatchObject({
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
    expect(contenderEntry(result('naive', { waitsMs }), IDEAL, PRICES).laneWaitsMs).toEqual({
      bulk: { p50: 600_000, p99: 1_800_001, count: 95 },
      standard: { p50: 1, p99: 10, count: 3 },
    });
  });

  it('GIVEN 20,000 bulk enrolments settled within 12 simulated minutes at 10,000 requests an hour WHEN assembled THEN the figure is 10', () => {
    const bulkEnrolments = { succeeded: 20_000, lastSettledMs: 720_000 };
    expect(contenderEntry(result('gate', { bulkEnrolments }), IDEAL, PRICES)).toMatchObject({
      bulkEnrolmentsSucceeded: 20_000,
      enrolmentsPerHourPerLimit: 10,
    });
  });

  it('GIVEN a workload without bulk enrolments WHEN assembled THEN the enrolment figures are null', () => {
    expect(contenderEntry(result('naive'), IDEAL, PRICES)).toMatchObject({
      bulkEnrolmentsSucceeded: null,
      enrolmentsPerHourPerLimit: null,
    });
  });

  it('GIVEN 429s in the first window only WHEN assembled THEN none are counted after the first window', () => {
    const status429ByUserWindow = { u1: [5, 0, 1], u2: [7] };
    expect(contenderEntry(result('gate', { status429ByUserWindow }), IDEAL, PRICES)).toMatchObject({
      max429PerUserWindowAfterFirst: 1,
    });
  });

  it('GIVEN calls during a cool-down WHEN assembled THEN the row carries them', () => {
    expect(contenderEntry(result('naive', { callsDuringCooldown: 12 }), IDEAL, PRICES).callsDuringCooldown).toBe(12);
  });

  it('GIVEN no ideal WHEN assembled THEN an AssembleError names idealMs', () => {
    expect(() => contenderEntry(result('gate'), { ...IDEAL, idealMs: 0 }, PRICES)).toThrow(/idealMs must be above 0/);
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
          'max429PerUserWindow',
          'max429PerUserWindowAfterFirst',
          'callsDuringCooldown',
          'bulkEnrolmentsSucceeded',
          'enrolmentsPerHourPerLimit',
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
    expect(bench).toMatchObject({
      ...meta,
      scenarios: {
        'seed-002': {
          idealMs: 3_000_000,
          limitPerHour: 10_000,
          penalty: false,
          rateLimitHeaders: true,
          injectedFaults: false,
        },
      },
    });
  });

  it('GIVEN runs WHEN assembled THEN bench.json carries the targets checked on its own rows', () => {
    const bench = assembleBench(meta, [scenario('many-users', [result('gate', { lost: 2 })])], PRICES);
    const lost = bench.targets.find((row) => row.scenario === 'many-users' && row.metric === 'lost');
    expect(lost?.contenders.gate).toEqual({ met: false, value: 2, measured: '2' });
  });

  it('GIVEN a contender reported twice in one scenario WHEN assembled THEN an AssembleError names it', () => {
    expect(() => assembleBench(meta, [scenario('seed-002', [result('gate'), result('gate')])], PRICES)).toThrow(
      AssembleError,
    );
  });
});
