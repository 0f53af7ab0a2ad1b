/**
 * The benchmark's targets, checked for every contender side by side from `bench.json`'s rows, and the pure figures
 * some of them need (bulk enrolments per hour against Outreach's limit, 429s per window after the first). What a
 * target asks of the gate is asked of every contender, so the table shows what teams get today beside it.
 */
import {
  type BenchContenderEntry,
  type BenchScenarioEntry,
  CONTENDERS,
  type ContenderName,
  type TargetCell,
  type TargetRow,
} from './types';

const HOUR_MS = 3_600_000;

/** What the enrolment figure reads of one intent's outcome. */
export interface EnrolmentOutcome {
  readonly lane: string;
  /** The operation's type (`sequenceState.create`…). */
  readonly operation: string;
  /** Wall ms it settled, or null when it did not. */
  readonly settledAt: number | null;
  readonly status: 'open' | 'succeeded' | 'failed';
}

/**
 * The bulk-lane enrolments among `outcomes`: how many succeeded and when the last of those settled, in simulated
 * ms since `startedAt` (wall ms); null when there are no bulk enrolments at all. Pure.
 */
export function bulkEnrolments(
  outcomes: readonly EnrolmentOutcome[],
  run: { readonly startedAt: number; readonly timeScale: number },
): { succeeded: number; lastSettledMs: number | null } | null {
  const enrolments = outcomes.filter(
    (outcome) => outcome.lane === 'bulk' && outcome.operation === 'sequenceState.create',
  );
  if (enrolments.length === 0) return null;
  let succeeded = 0;
  let last: number | null = null;
  for (const outcome of enrolments) {
    if (outcome.status !== 'succeeded') continue;
    succeeded += 1;
    if (outcome.settledAt !== null) last = Math.max(last ?? outcome.settledAt, outcome.settledAt);
  }
  return {
    succeeded,
    lastSettledMs: last === null ? null : Math.max(0, (last - run.startedAt) * run.timeScale),
  };
}

/**
 * Enrolments per simulated hour divided by Outreach's requests per hour: how many times faster than one request
 * per enrolment allows. Null when none succeeded or their span is unknown or zero. Pure.
 * @throws RangeError for a limit that is not above 0.
 */
export function enrolmentsPerHourPerLimit(
  succeeded: number,
  spanMs: number | null,
  limitPerHour: number,
): number | null {
  if (!(Number.isFinite(limitPerHour) && limitPerHour > 0)) {
    throw new RangeError(`limitPerHour must be above 0, got ${limitPerHour}`);
  }
  if (succeeded <= 0 || spanMs === null || !(spanMs > 0)) return null;
  return succeeded / (spanMs / HOUR_MS) / limitPerHour;
}

/** The most 429s any user got in one window after the first (index 0); 0 when none. Pure. */
export function max429AfterFirstWindow(byUserWindow: Readonly<Record<string, readonly number[]>>): number {
  return Math.max(0, ...Object.values(byUserWindow).flatMap((windows) => windows.slice(1)));
}

/** How a measured value compares with a target's bound. */
export type Comparison = '≤' | '<' | '≥' | '=';

/** Whether `value` meets `comparison bound`; null for a value that was not measured. Pure. */
export function meets(value: number | null, comparison: Comparison, bound: number): boolean | null {
  if (value === null || Number.isNaN(value)) return null;
  switch (comparison) {
    case '≤':
      return value <= bound;
    case '<':
      return value < bound;
    case '≥':
      return value >= bound;
    case '=':
      return value === bound;
  }
}

const round = (value: number, digits: number) =>
  Number.isFinite(value) ? Math.round(value * 10 ** digits) / 10 ** digits : value;

/** One numeric target: a figure per contender against a bound. */
interface NumericTarget {
  readonly metric: string;
  readonly comparison: Comparison;
  readonly bound: number;
  /** Digits the value is shown with. */
  readonly digits: number;
  /** The contender's value; null when not measured, undefined when the target does not apply to it. */
  readonly value: (entry: BenchContenderEntry, name: ContenderName) => number | null | undefined;
  /** Words shown for a value that was not measured. @default 'not measured' */
  readonly unmeasured?: string;
}

function numericRow(scenario: string, entry: BenchScenarioEntry | undefined, target: NumericTarget): TargetRow {
  const contenders: Partial<Record<ContenderName, TargetCell>> = {};
  for (const name of CONTENDERS) {
    const row = entry?.contenders[name];
    if (!row) continue;
    const value = target.value(row, name);
    if (value === undefined) continue;
    contenders[name] = {
      met: meets(value, target.comparison, target.bound),
      value: value === null ? null : round(value, target.digits),
      measured: value === null ? (target.unmeasured ?? 'not measured') : String(round(value, target.digits)),
    };
  }
  return { scenario, metric: target.metric, target: `${target.comparison} ${target.bound}`, contenders };
}

const clearance = (bound: number): NumericTarget => ({
  metric: 'clearance ÷ ideal',
  comparison: '≤',
  bound,
  digits: 3,
  value: (entry) => entry.clearanceRatio,
});

/**
 * Every target, per contender, on the scenarios of `bench.json`. Targets of a named scenario that was not run
 * are listed with no contender checked. Pure.
 */
export function checkTargets(scenarios: Readonly<Record<string, BenchScenarioEntry>>): TargetRow[] {
  const rows: TargetRow[] = [];
  const named = (name: string, target: NumericTarget) => rows.push(numericRow(name, scenarios[name], target));

  named('bulk-enrol', {
    metric: 'bulk enrolments per hour ÷ requests per hour',
    comparison: '≥',
    bound: 10,
    digits: 2,
    value: (entry) => entry.enrolmentsPerHourPerLimit,
  });
  for (const [name, scenario] of Object.entries(scenarios)) {
    if (scenario.rateLimitHeaders && !scenario.injectedFaults) named(name, clearance(1.03));
  }
  named('flaky-upstream', clearance(1.25));
  named('unknown-limits', clearance(1.1));
  named('unknown-limits', {
    metric: 'most 429s per user in one window after the first',
    comparison: '≤',
    bound: 1,
    digits: 0,
    value: (entry) => entry.max429PerUserWindowAfterFirst,
  });
  named('bulk-and-urgent', {
    metric: 'critical p99 wait ÷ bulk p50 wait',
    comparison: '<',
    bound: 0.02,
    digits: 4,
    value: (entry) => {
      const bulk = entry.laneWaitsMs.bulk;
      if (entry.criticalWaitP99Ms === null || !bulk || bulk.count === 0 || bulk.p50 <= 0) return null;
      return entry.criticalWaitP99Ms / bulk.p50;
    },
  });
  for (const [name, scenario] of Object.entries(scenarios)) {
    named(name, {
      metric: 'DynamoDB requests per intent',
      comparison: '≤',
      bound: 3,
      digits: 2,
      // Only the gate keeps shared state in DynamoDB.
      value: (entry, contender) => (contender === 'gate' ? entry.dynamodbRequestsPerIntent : undefined),
    });
    named(name, { metric: 'lost', comparison: '=', bound: 0, digits: 0, value: (entry) => entry.lost });
    named(name, {
      metric: 'created twice',
      comparison: '=',
      bound: 0,
      digits: 0,
      value: (entry) => entry.duplicatesCreated,
    });
    named(name, {
      metric: 'calls during a cool-down',
      comparison: '=',
      bound: 0,
      digits: 0,
      value: (entry) => entry.callsDuringCooldown,
    });
    named(name, {
      metric: 'most in flight ÷ in-flight cap',
      comparison: '≤',
      bound: 1,
      digits: 2,
      value: (entry) => (entry.inFlightCap > 0 ? entry.maxInFlight / entry.inFlightCap : null),
    });
    if (scenario.rateLimitHeaders) {
      named(name, {
        metric: 'most 429s per user in one window',
        comparison: '≤',
        bound: 1,
        digits: 0,
        value: (entry) => entry.max429PerUserWindow,
      });
    }
    named(name, {
      metric: 'AWS calls IAM would deny (dispatcher and producer checked)',
      comparison: '=',
      bound: 0,
      digits: 0,
      value: (entry, contender) => {
        if (contender !== 'gate') return undefined;
        const iam = entry.iam;
        if (!iam || !((iam.byPrincipal.dispatcher ?? 0) > 0 && (iam.byPrincipal.producer ?? 0) > 0)) return null;
        return iam.denied;
      },
      unmeasured: 'a principal was not checked',
    });
  }
  named('seed-002', {
    metric: 'naive clearance ÷ gate clearance',
    comparison: '≥',
    bound: 4,
    digits: 2,
    value: (entry, contender) => {
      if (contender !== 'gate') return undefined;
      const naive = scenarios['seed-002']?.contenders.naive;
      return naive && entry.clearanceMs > 0 ? naive.clearanceMs / entry.clearanceMs : null;
    },
    unmeasured: 'naive not run',
  });
  for (const [name, scenario] of Object.entries(scenarios)) {
    if (!scenario.penalty) continue;
    named(name, {
      metric: 'longest Retry-After ÷ first (penalty mode: 1 = never escalated)',
      comparison: '≤',
      bound: 1,
      digits: 2,
      value: (entry) =>
        entry.firstRetryAfterMs === null || entry.maxRetryAfterMs === null || entry.firstRetryAfterMs <= 0
          ? entry.status429 === 0
            ? 1
            : null
          : entry.maxRetryAfterMs / entry.firstRetryAfterMs,
    });
  }
  return rows;
}

/** How many of the gate's targets were met, missed and not checked. Pure. */
export function gateTally(rows: readonly TargetRow[]): { met: number; missed: number; unchecked: number } {
  let met = 0;
  let missed = 0;
  let unchecked = 0;
  for (const row of rows) {
    const cell = row.contenders.gate;
    if (cell?.met === true) met += 1;
    else if (cell?.met === false) missed += 1;
    else unchecked += 1;
  }
  return { met, missed, unchecked };
}
