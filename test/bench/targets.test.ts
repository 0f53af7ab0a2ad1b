/** The targets, checked per contender from bench.json's rows, and the figures they read. */
import {
  bulkEnrolments,
  checkTargets,
  enrolmentsPerHourPerLimit,
  gateTally,
  max429AfterFirstWindow,
  meets,
} from '../../bench/targets';
import type { BenchContenderEntry, BenchScenarioEntry, ContenderName, TargetRow } from '../../bench/types';

function entry(patch: Partial<BenchContenderEntry> = {}): BenchContenderEntry {
  return {
    clearanceMs: 3_000_000,
    clearanceRatio: 1,
    succeeded: 100,
    lost: 0,
    duplicatesCreated: 0,
    status429: 0,
    max429PerUserWindow: 0,
    max429PerUserWindowAfterFirst: 0,
    callsDuringCooldown: 0,
    bulkEnrolmentsSucceeded: null,
    enrolmentsPerHourPerLimit: null,
    firstRetryAfterMs: null,
    maxRetryAfterMs: null,
    maxInFlight: 8,
    inFlightCap: 8,
    criticalWaitP50Ms: 1_000,
    criticalWaitP99Ms: 2_000,
    laneWaitsMs: { critical: { p50: 1_000, p99: 2_000, count: 5 }, bulk: { p50: 600_000, p99: 900_000, count: 95 } },
    upstreamCallsPerIntent: 1,
    dynamodbRequestsPerIntent: 0,
    usdPerMillionIntents: 0,
    retryRatio: 0,
    producerSpreadStdevMs: 0,
    producerSpreadRangeMs: 0,
    producerFinishMs: {},
    longestWaitMs: 900_000,
    timeToClearMs: 3_000_000,
    ...patch,
  };
}

function scenario(
  contenders: Partial<Record<ContenderName, BenchContenderEntry>>,
  patch: Partial<BenchScenarioEntry> = {},
): BenchScenarioEntry {
  return {
    idealMs: 3_000_000,
    limitPerHour: 10_000,
    penalty: false,
    rateLimitHeaders: true,
    injectedFaults: false,
    contenders,
    ...patch,
  };
}

const row = (rows: readonly TargetRow[], name: string, metric: string, target?: string) =>
  rows.find((r) => r.scenario === name && r.metric === metric && (target === undefined || r.target === target));

describe('meets', () => {
  it.each([
    [1.03, '≤', 1.03, true],
    [1.031, '≤', 1.03, false],
    [0.02, '<', 0.02, false],
    [10, '≥', 10, true],
    [9.99, '≥', 10, false],
    [0, '=', 0, true],
    [1, '=', 0, false],
  ] as const)('GIVEN %p %s %p WHEN judged THEN met is %p', (value, comparison, bound, met) => {
    expect(meets(value, comparison, bound)).toBe(met);
  });

  it('GIVEN a value that was not measured WHEN judged THEN it is neither met nor missed', () => {
    expect(meets(null, '≤', 1)).toBeNull();
  });
});

describe('enrolmentsPerHourPerLimit', () => {
  it('GIVEN 20,000 enrolments over two simulated hours at 10,000 an hour WHEN computed THEN it is 1', () => {
    expect(enrolmentsPerHourPerLimit(20_000, 7_200_000, 10_000)).toBe(1);
  });

  it('GIVEN 20,000 enrolments over six simulated minutes WHEN computed THEN it is 20', () => {
    expect(enrolmentsPerHourPerLimit(20_000, 360_000, 10_000)).toBeCloseTo(20, 10);
  });

  it('GIVEN no enrolment succeeded WHEN computed THEN it is null', () => {
    expect(enrolmentsPerHourPerLimit(0, 360_000, 10_000)).toBeNull();
  });

  it('GIVEN a limit of 0 WHEN computed THEN a RangeError names limitPerHour', () => {
    expect(() => enrolmentsPerHourPerLimit(1, 1, 0)).toThrow(/limitPerHour must be above 0, got 0/);
  });
});

describe('bulkEnrolments', () => {
  const run = { startedAt: 1_000, timeScale: 4 };
  const outcome = (lane: string, operation: string, settledAt: number | null, status: 'succeeded' | 'open') => ({
    lane,
    operation,
    settledAt,
    status,
  });

  it('GIVEN bulk enrolments and other intents WHEN read THEN only succeeded bulk enrolments count, up to the last settled, in simulated ms', () => {
    const figures = bulkEnrolments(
      [
        outcome('bulk', 'sequenceState.create', 2_000, 'succeeded'),
        outcome('bulk', 'sequenceState.create', 3_000, 'succeeded'),
        outcome('bulk', 'sequenceState.create', null, 'open'),
        outcome('critical', 'sequenceState.create', 9_000, 'succeeded'),
        outcome('bulk', 'prospect.create', 9_000, 'succeeded'),
      ],
      run,
    );
    expect(figures).toEqual({ succeeded: 2, lastSettledMs: 8_000 });
  });

  it('GIVEN a workload without bulk enrolments WHEN read THEN there are no figures', () => {
    expect(bulkEnrolments([outcome('bulk', 'prospect.create', 2_000, 'succeeded')], run)).toBeNull();
  });
});

describe('max429AfterFirstWindow', () => {
  it('GIVEN many 429s in the first window and one later WHEN counted THEN the later window counts, not the first', () => {
    expect(max429AfterFirstWindow({ u1: [40, 0, 1], u2: [12, 2] })).toBe(2);
  });

  it('GIVEN 429s only in the first window WHEN counted THEN it is 0', () => {
    expect(max429AfterFirstWindow({ u1: [40] })).toBe(0);
  });
});

describe('checkTargets', () => {
  it('GIVEN bulk-enrol with the gate at 12 and naive at 0.98 WHEN checked THEN the gate meets ≥ 10 and naive misses it, side by side', () => {
    const rows = checkTargets({
      'bulk-enrol': scenario({
        naive: entry({ enrolmentsPerHourPerLimit: 0.98 }),
        gate: entry({ enrolmentsPerHourPerLimit: 12 }),
      }),
    });
    expect(row(rows, 'bulk-enrol', 'bulk enrolments per hour ÷ requests per hour')).toEqual({
      scenario: 'bulk-enrol',
      metric: 'bulk enrolments per hour ÷ requests per hour',
      target: '≥ 10',
      contenders: {
        naive: { met: false, value: 0.98, measured: '0.98' },
        gate: { met: true, value: 12, measured: '12' },
      },
    });
  });

  it('GIVEN a scenario with headers and no faults WHEN checked THEN clearance is held to 1.03', () => {
    const rows = checkTargets({ 'many-users': scenario({ gate: entry({ clearanceRatio: 1.04 }) }) });
    expect(row(rows, 'many-users', 'clearance ÷ ideal')).toMatchObject({
      target: '≤ 1.03',
      contenders: { gate: { met: false, value: 1.04 } },
    });
  });

  it('GIVEN flaky-upstream with injected faults WHEN checked THEN its clearance is held to 1.25, not 1.03', () => {
    const rows = checkTargets({
      'flaky-upstream': scenario({ gate: entry({ clearanceRatio: 1.2 }) }, { injectedFaults: true }),
    });
    expect(rows.filter((r) => r.scenario === 'flaky-upstream' && r.metric === 'clearance ÷ ideal')).toEqual([
      expect.objectContaining({ target: '≤ 1.25', contenders: { gate: { met: true, value: 1.2, measured: '1.2' } } }),
    ]);
  });

  it('GIVEN unknown-limits without headers WHEN checked THEN clearance ≤ 1.10 and at most one 429 per window after the first apply', () => {
    const rows = checkTargets({
      'unknown-limits': scenario(
        { gate: entry({ clearanceRatio: 1.08, max429PerUserWindow: 7, max429PerUserWindowAfterFirst: 2 }) },
        { rateLimitHeaders: false },
      ),
    });
    expect({
      clearance: row(rows, 'unknown-limits', 'clearance ÷ ideal')?.contenders.gate?.met,
      after: row(rows, 'unknown-limits', 'most 429s per user in one window after the first')?.contenders.gate,
      anyWindow: row(rows, 'unknown-limits', 'most 429s per user in one window'),
    }).toEqual({ clearance: true, after: { met: false, value: 2, measured: '2' }, anyWindow: undefined });
  });

  it('GIVEN bulk-and-urgent with critical p99 of 2 s against a bulk median of 10 min WHEN checked THEN the urgency target is met', () => {
    const rows = checkTargets({ 'bulk-and-urgent': scenario({ gate: entry() }) });
    expect(row(rows, 'bulk-and-urgent', 'critical p99 wait ÷ bulk p50 wait')?.contenders.gate).toEqual({
      met: true,
      value: 0.0033,
      measured: '0.0033',
    });
  });

  it('GIVEN the direct contenders WHEN DynamoDB requests per intent are checked THEN only the gate has a cell', () => {
    const rows = checkTargets({
      'many-users': scenario({ naive: entry(), gate: entry({ dynamodbRequestsPerIntent: 3.4 }) }),
    });
    expect(row(rows, 'many-users', 'DynamoDB requests per intent')?.contenders).toEqual({
      gate: { met: false, value: 3.4, measured: '3.4' },
    });
  });

  it('GIVEN naive calling during a penalty and the gate not WHEN checked THEN naive misses and the gate meets', () => {
    const rows = checkTargets({
      'seed-002': scenario(
        { naive: entry({ callsDuringCooldown: 2_186 }), gate: entry({ callsDuringCooldown: 0 }) },
        { penalty: true },
      ),
    });
    expect(row(rows, 'seed-002', 'calls during a cool-down')?.contenders).toMatchObject({
      naive: { met: false, value: 2_186 },
      gate: { met: true, value: 0 },
    });
  });

  it('GIVEN an Outreach that did not count calls during a cool-down WHEN checked THEN they are not measured', () => {
    const rows = checkTargets({ 'many-users': scenario({ gate: entry({ callsDuringCooldown: null }) }) });
    expect(row(rows, 'many-users', 'calls during a cool-down')?.contenders.gate).toEqual({
      met: null,
      value: null,
      measured: 'not measured',
    });
  });

  it('GIVEN naive taking 4.5 times the gate in seed-002 WHEN checked THEN the ratio target is met on the gate', () => {
    const rows = checkTargets({
      'seed-002': scenario(
        { naive: entry({ clearanceMs: 9_000_000 }), gate: entry({ clearanceMs: 2_000_000 }) },
        { penalty: true },
      ),
    });
    expect(row(rows, 'seed-002', 'naive clearance ÷ gate clearance')?.contenders).toEqual({
      gate: { met: true, value: 4.5, measured: '4.5' },
    });
  });

  it('GIVEN seed-002 was not run WHEN checked THEN its targets are listed with no contender checked', () => {
    const rows = checkTargets({ 'many-users': scenario({ gate: entry() }) });
    expect(row(rows, 'seed-002', 'naive clearance ÷ gate clearance')).toEqual({
      scenario: 'seed-002',
      metric: 'naive clearance ÷ gate clearance',
      target: '≥ 4',
      contenders: {},
    });
  });
});

describe('gateTally', () => {
  it('GIVEN the gate lost one intent in many-users WHEN tallied THEN that is its one miss; targets of scenarios not run and unmeasured ones are not checked', () => {
    const rows = checkTargets({ 'many-users': scenario({ gate: entry({ lost: 1 }) }) });
    // Met: clearance, DynamoDB, created twice, calls during a cool-down, in flight, 429s per window. Not checked:
    // IAM (no ledger) and the six targets of scenarios not run.
    expect(gateTally(rows)).toEqual({ met: 6, missed: 1, unchecked: 7 });
  });
});
