/**
 * From contender results to `bench.json` and its targets: pure functions, so what the benchmark reports is
 * tested apart from the runs that measure it.
 */
import { type PriceTable, US_EAST_1_PRICES, usdPerMillionIntents } from './pricing';
import type { Scorecard } from './scorecard';
import { checkTargets, enrolmentsPerHourPerLimit, max429AfterFirstWindow } from './targets';
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
  /** One line on what the scenario shows. @default - none shown */
  readonly summary?: string;
  readonly idealMs: number;
  /** Penalty mode: requests during a cool-down extend it. */
  readonly penalty: boolean;
  /** Whether Outreach sends X-RateLimit-* headers. */
  readonly rateLimitHeaders: boolean;
  /** Whether the simulator injects failures beyond its latency. */
  readonly injectedFaults: boolean;
  /** Outreach's requests per hour per user. */
  readonly limitPerHour: number;
  readonly results: readonly ContenderResult[];
  /** Contenders that did not finish, with the reason. */
  readonly errors?: Readonly<Partial<Record<ContenderName, string>>>;
}

/** Raised when results cannot be assembled; the message names what is wrong. */
export class AssembleError extends Error {
  override readonly name = 'AssembleError';
}

/** One contender's `bench.json` row, given the scenario's ideal and Outreach's requests per hour. Pure. */
export function contenderEntry(
  result: ContenderResult,
  scenario: { readonly idealMs: number; readonly limitPerHour: number },
  prices: PriceTable = US_EAST_1_PRICES,
): BenchContenderEntry {
  const { idealMs, limitPerHour } = scenario;
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
    max429PerUserWindow: result.max429PerUserWindow,
    max429PerUserWindowAfterFirst: max429AfterFirstWindow(result.status429ByUserWindow),
    callsDuringCooldown: result.callsDuringCooldown,
    bulkEnrolmentsSucceeded: result.bulkEnrolments?.succeeded ?? null,
    enrolmentsPerHourPerLimit:
      result.bulkEnrolments === null
        ? null
        : nullableRound(
            enrolmentsPerHourPerLimit(
              result.bulkEnrolments.succeeded,
              result.bulkEnrolments.lastSettledMs,
              limitPerHour,
            ),
            3,
          ),
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
 * `bench.json` from every scenario's runs, contenders in their usual order, with every target checked.
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
      if (result) contenders[name] = contenderEntry(result, scenario, prices);
    }
    out[scenario.name] = {
      idealMs: Math.round(scenario.idealMs),
      limitPerHour: scenario.limitPerHour,
      penalty: scenario.penalty,
      rateLimitHeaders: scenario.rateLimitHeaders,
      injectedFaults: scenario.injectedFaults,
      contenders,
    };
  }
  return {
    machine: input.machine,
    date: input.date,
    quick: input.quick,
    scenarios: out,
    targets: checkTargets(out),
  };
}

const nullableRound = (value: number | null, digits: number) => (value === null ? null : round(value, digits));

function round(value: number, digits: number): number {
  if (!Number.isFinite(value)) return value;
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
