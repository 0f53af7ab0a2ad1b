/**
 * From contender results to `bench.json` and the targets: pure functions, so what the benchmark reports is
 * tested apart from the runs that measure it.
 */
import { type PriceTable, US_EAST_1_PRICES, usdPerMillionIntents } from './pricing';
import type { Scorecard } from './scorecard';
import {
  type BenchContenderEntry,
  type BenchJson,
  CONTENDERS,
  type ContenderName,
  type ContenderResult,
} from './types';

/** One scenario's runs, as the runner collected them. */
export interface ScenarioRuns {
  readonly name: string;
  readonly idealMs: number;
  /** Penalty mode: requests during a cool-down extend it. */
  readonly penalty: boolean;
  /** Whether Outreach sends X-RateLimit-* headers. */
  readonly rateLimitHeaders: boolean;
  readonly results: readonly ContenderResult[];
  /** Contenders that did not finish, with the reason. */
  readonly errors?: Readonly<Partial<Record<ContenderName, string>>>;
}

/** Raised when results cannot be assembled; the message names what is wrong. */
export class AssembleError extends Error {
  override readonly name = 'AssembleError';
}

/** One contender's `bench.json` row. Pure. */
export function contenderEntry(
  result: ContenderResult,
  idealMs: number,
  prices: PriceTable = US_EAST_1_PRICES,
): BenchContenderEntry {
  if (!(Number.isFinite(idealMs) && idealMs > 0)) {
    throw new AssembleError(`idealMs must be above 0 to compute clearanceRatio, got ${idealMs}`);
  }
  if (result.intents <= 0)
    throw new AssembleError(`${result.contender} reported ${result.intents} intents; expected some`);
  const critical = result.waitsMs.critical;
  const hasCritical = critical !== undefined && critical.count > 0;
  return {
    clearanceMs: Math.round(result.clearanceMs),
    clearanceRatio: round(result.clearanceMs / idealMs, 3),
    succeeded: result.succeeded,
    lost: result.lost,
    duplicatesCreated: result.duplicatesCreated,
    status429: result.status429,
    firstRetryAfterMs: result.firstRetryAfterMs === null ? null : Math.round(result.firstRetryAfterMs),
    maxRetryAfterMs: result.maxRetryAfterMs === null ? null : Math.round(result.maxRetryAfterMs),
    maxInFlight: result.maxInFlight,
    inFlightCap: result.inFlightCap,
    criticalWaitP50Ms: hasCritical ? Math.round(critical.p50) : null,
    criticalWaitP99Ms: hasCritical ? Math.round(critical.p99) : null,
    laneWaitsMs: Object.fromEntries(
      Object.entries(result.waitsMs).map(([lane, waits]) => [
        lane,
        { p50: Math.round(waits.p50), p99: Math.round(waits.p99), count: waits.count },
      ]),
    ),
    upstreamCallsPerIntent: round(result.upstreamCalls / result.intents, 3),
    dynamodbRequestsPerIntent: round(result.dynamodbRequestsPerIntent, 3),
    usdPerMillionIntents: round(usdPerMillionIntents(result.aws, result.intents, prices), 2),
    ...scorecardEntry(result.scorecard),
    ...(result.iam === undefined ? {} : { iam: result.iam }),
    ...(result.timeouts === undefined ? {} : { timeouts: result.timeouts }),
  };
}

/** The scorecard's fields of a `bench.json` row, rounded (ratio to 4 digits, durations to the ms). Pure. */
export function scorecardEntry(
  card: Scorecard,
): Pick<
  BenchContenderEntry,
  | 'retryRatio'
  | 'producerSpreadStdevMs'
  | 'producerSpreadRangeMs'
  | 'producerFinishMs'
  | 'longestWaitMs'
  | 'timeToClearMs'
> {
  const ms = (value: number | null) => (value === null ? null : Math.round(value));
  return {
    retryRatio: card.retryRatio === null ? null : round(card.retryRatio, 4),
    producerSpreadStdevMs: ms(card.producerSpreadStdevMs),
    producerSpreadRangeMs: ms(card.producerSpreadRangeMs),
    producerFinishMs:
      card.producerFinishMs === null
        ? null
        : Object.fromEntries(Object.entries(card.producerFinishMs).map(([name, t]) => [name, Math.round(t)])),
    longestWaitMs: ms(card.longestWaitMs),
    timeToClearMs: Math.round(card.timeToClearMs),
  };
}

/**
 * `bench.json` from every scenario's runs, contenders in their usual order.
 * @throws AssembleError for a contender reported twice in one scenario or unusable figures.
 */
export function assembleBench(
  input: { readonly machine: string; readonly date: string; readonly quick: boolean },
  scenarios: readonly ScenarioRuns[],
  prices: PriceTable = US_EAST_1_PRICES,
): BenchJson {
  const out: Record<string, BenchJson['scenarios'][string]> = {};
  for (const scenario of scenarios) {
    const contenders: Partial<Record<ContenderName, BenchContenderEntry>> = {};
    for (const name of CONTENDERS) {
      const matching = scenario.results.filter((result) => result.contender === name);
      if (matching.length > 1)
        throw new AssembleError(`scenario ${scenario.name} has ${matching.length} ${name} results`);
      const [result] = matching;
      if (result) contenders[name] = contenderEntry(result, scenario.idealMs, prices);
    }
    out[scenario.name] = { idealMs: Math.round(scenario.idealMs), contenders };
  }
  return { machine: input.machine, date: input.date, quick: input.quick, scenarios: out };
}

/** One target checked against what was measured. */
export interface TargetCheck {
  readonly target: string;
  readonly scenario: string;
  /** null when it could not be checked (the scenario or contender was not run, or nothing to compare). */
  readonly met: boolean | null;
  /** The measured values, in words. */
  readonly measured: string;
}

const seconds = (ms: number | null | undefined) => (ms === null || ms === undefined ? '–' : `${round(ms / 1000, 1)} s`);

/**
 * Every target the benchmark reports, checked on the runs given. Scenario-specific targets on scenarios that
 * were not run are listed as not checked. Pure.
 */
export function checkTargets(scenarios: readonly ScenarioRuns[]): TargetCheck[] {
  const byName = new Map(scenarios.map((scenario) => [scenario.name, scenario]));
  const of = (scenario: ScenarioRuns | undefined, name: ContenderName) =>
    scenario?.results.find((result) => result.contender === name);
  const checks: TargetCheck[] = [];
  const notRun = (target: string, scenario: string): TargetCheck => ({
    target,
    scenario,
    met: null,
    measured: 'not run',
  });

  for (const name of ['seed-002', 'bulk-and-urgent']) {
    const scenario = byName.get(name);
    const gate = of(scenario, 'gate');
    const target = 'gate clearanceRatio ≤ 1.05';
    if (!scenario || !gate) checks.push(notRun(target, name));
    else {
      const ratio = gate.clearanceMs / scenario.idealMs;
      checks.push({ target, scenario: name, met: ratio <= 1.05, measured: `${round(ratio, 3)}` });
    }
  }

  {
    const scenario = byName.get('seed-002');
    const gate = of(scenario, 'gate');
    const naive = of(scenario, 'naive');
    const target = 'naive clearance ÷ gate clearance ≥ 2';
    if (!gate || !naive || gate.clearanceMs <= 0) checks.push(notRun(target, 'seed-002'));
    else {
      const ratio = naive.clearanceMs / gate.clearanceMs;
      checks.push({
        target,
        scenario: 'seed-002',
        met: ratio >= 2,
        measured: `${round(ratio, 2)} (naive ${seconds(naive.clearanceMs)}, gate ${seconds(gate.clearanceMs)})`,
      });
    }
  }

  for (const scenario of scenarios.filter((s) => s.penalty)) {
    const gate = of(scenario, 'gate');
    const naive = of(scenario, 'naive');
    const target = 'penalty mode: gate maxRetryAfter = firstRetryAfter, naive escalates';
    if (!gate || !naive) {
      checks.push(notRun(target, scenario.name));
      continue;
    }
    const gateFlat = gate.firstRetryAfterMs === null || gate.maxRetryAfterMs === gate.firstRetryAfterMs;
    const naiveEscalates =
      naive.firstRetryAfterMs !== null &&
      naive.maxRetryAfterMs !== null &&
      naive.maxRetryAfterMs > naive.firstRetryAfterMs;
    checks.push({
      target,
      scenario: scenario.name,
      met: gateFlat && naiveEscalates,
      measured: `gate ${seconds(gate.firstRetryAfterMs)} → ${seconds(gate.maxRetryAfterMs)}; naive ${seconds(naive.firstRetryAfterMs)} → ${seconds(naive.maxRetryAfterMs)}`,
    });
  }

  for (const scenario of scenarios) {
    const gate = of(scenario, 'gate');
    if (!gate) continue;
    if (scenario.rateLimitHeaders) {
      checks.push({
        target: 'gate 429s ≤ 1 per user per window',
        scenario: scenario.name,
        met: gate.max429PerUserWindow <= 1,
        measured: `at most ${gate.max429PerUserWindow} in one window (${gate.status429} in all)`,
      });
    }
    checks.push({
      target: 'gate maxInFlight ≤ inFlightCap',
      scenario: scenario.name,
      met: gate.maxInFlight <= gate.inFlightCap,
      measured: `${gate.maxInFlight} ≤ ${gate.inFlightCap}`,
    });
    checks.push({
      target: 'gate lost = 0',
      scenario: scenario.name,
      met: gate.lost === 0,
      measured: `${gate.lost}`,
    });
    checks.push({
      target: 'gate duplicatesCreated = 0',
      scenario: scenario.name,
      met: gate.duplicatesCreated === 0,
      measured: `${gate.duplicatesCreated}`,
    });
    if (gate.iam !== undefined) {
      const { calls, byPrincipal, denied } = gate.iam;
      checks.push({
        target: 'gate AWS calls denied by IAM = 0, dispatcher and producer checked',
        scenario: scenario.name,
        met: denied === 0 && (byPrincipal.dispatcher ?? 0) > 0 && (byPrincipal.producer ?? 0) > 0,
        measured: `${denied} denied of ${calls} checked (${Object.entries(byPrincipal)
          .map(([principal, count]) => `${principal} ${count}`)
          .join(', ')})`,
      });
    }
    checks.push({
      target: 'gate DynamoDB requests per intent ≤ 3',
      scenario: scenario.name,
      met: gate.dynamodbRequestsPerIntent <= 3,
      measured: `${round(gate.dynamodbRequestsPerIntent, 2)}`,
    });
  }

  {
    const scenario = byName.get('bulk-and-urgent');
    const gate = of(scenario, 'gate');
    const target = 'gate critical p99 wait < 2% of bulk median wait';
    const critical = gate?.waitsMs.critical;
    const bulk = gate?.waitsMs.bulk;
    if (!gate || !critical || !bulk || critical.count === 0 || bulk.count === 0) {
      checks.push(notRun(target, 'bulk-and-urgent'));
    } else {
      const share = bulk.p50 > 0 ? critical.p99 / bulk.p50 : Number.POSITIVE_INFINITY;
      checks.push({
        target,
        scenario: 'bulk-and-urgent',
        met: share < 0.02,
        measured: `${seconds(critical.p99)} vs bulk median ${seconds(bulk.p50)} (${round(share * 100, 2)}%)`,
      });
    }
  }
  return checks;
}

function round(value: number, digits: number): number {
  if (!Number.isFinite(value)) return value;
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
