/**
 * What one benchmark contender measured on one scenario, and the shape of `bench.json`. Every duration is in
 * SIMULATED milliseconds (the time the workload experienced), like the run report.
 */
import type { CooldownPoint, StatusCountPoint } from '../local/report/types';
import type { Scorecard } from './scorecard';

/** The contenders, in the order every table lists them. */
export const CONTENDERS = ['naive', 'bottleneck', 'bottleneck-cluster', 'gate'] as const;

/** One contender's name. */
export type ContenderName = (typeof CONTENDERS)[number];

/** What the gate spent on AWS during a run, as counted at the SDK clients and the dispatcher. */
export interface AwsUsage {
  /** SQS requests that AWS bills: sends, receives (empty ones too), deletes and visibility changes. */
  readonly sqsRequests: number;
  /** Dispatcher invocations. */
  readonly lambdaInvocations: number;
  /** Wall ms the dispatcher's handler ran, summed over invocations. */
  readonly lambdaHandlerMs: number;
  /** Dispatcher memory in MiB. */
  readonly lambdaMemoryMiB: number;
  /** DynamoDB read requests (GetItem, Query, BatchGetItem…). */
  readonly dynamodbReads: number;
  /** DynamoDB write requests (PutItem, UpdateItem, DeleteItem…), conditional checks that failed included. */
  readonly dynamodbWrites: number;
}

/** Everything a contender reports for one scenario; turned into `bench.json` by `assembleBench`. */
export interface ContenderResult {
  readonly contender: ContenderName;
  /** Intents in the workload. */
  readonly intents: number;
  /** Simulated ms from the first enqueue until the last intent settled (or the run gave up waiting). */
  readonly clearanceMs: number;
  readonly succeeded: number;
  /** Intents given up on with a reason (a 4xx, retries exhausted, a dead-letter queue). */
  readonly failed: number;
  /** Intents neither succeeded nor given up on with a reason. */
  readonly lost: number;
  /** Records Outreach created twice, as the simulator counted them. */
  readonly duplicatesCreated: number;
  /** Upstream API requests Outreach answered (or that failed without an answer). */
  readonly upstreamCalls: number;
  readonly status429: number;
  /** Most 429s one user got within one rate-limit window. */
  readonly max429PerUserWindow: number;
  /** 429s per user in each window of the run, windows counted from the first enqueue (index 0 is the first). */
  readonly status429ByUserWindow: Readonly<Record<string, readonly number[]>>;
  /**
   * Calls Outreach saw while a cool-down a 429 announced was in force (each is refused; in penalty mode each
   * lengthens it); null when the Outreach used keeps no such count.
   */
  readonly callsDuringCooldown: number | null;
  /**
   * The workload's bulk-lane enrolments (`sequenceState.create`): how many succeeded and when the last of them
   * settled, simulated ms since the first enqueue; null when the workload has none.
   */
  readonly bulkEnrolments: { readonly succeeded: number; readonly lastSettledMs: number | null } | null;
  /** Retry-After of the first 429 Outreach sent, simulated ms; null when it sent none. */
  readonly firstRetryAfterMs: number | null;
  /** Longest Retry-After Outreach sent, simulated ms; null when it sent none. */
  readonly maxRetryAfterMs: number | null;
  /** Most requests in flight at once for one user, as Outreach saw them. */
  readonly maxInFlight: number;
  /** The per-user in-flight cap the scenario configures (the gate's; the others size their pools by it). */
  readonly inFlightCap: number;
  /** Enqueue-to-settled waits of succeeded intents, per lane, simulated ms. */
  readonly waitsMs: Readonly<Record<string, { readonly p50: number; readonly p99: number; readonly count: number }>>;
  /** DynamoDB requests per intent (0 for contenders without shared state). */
  readonly dynamodbRequestsPerIntent: number;
  /** What the contender spent on AWS; null for contenders that run inside their callers. */
  readonly aws: AwsUsage | null;
  /** For the charts: Outreach's responses per simulated second by status class, and announced cool-downs. */
  readonly series: {
    readonly upstreamPerSecond: readonly StatusCountPoint[];
    readonly cooldowns: readonly CooldownPoint[];
  };
  /** Wall-clock ms the contender's run took, setup included. */
  readonly wallMs: number;
  /**
   * AWS calls checked against the stack's IAM policies, by principal (`dispatcher`, `producer`), and the calls
   * AWS would have denied; only the gate makes AWS calls.
   */
  readonly iam?: {
    readonly calls: number;
    readonly byPrincipal: Readonly<Record<string, number>>;
    readonly denied: number;
  };
  /** Dispatcher invocations that timed out; only the gate runs on Lambda. */
  readonly timeouts?: number;
  /** Retry ratio, spread of completion between producers, longest single wait and time to clear. */
  readonly scorecard: Scorecard;
}

/** One contender's row of `bench.json`. */
export interface BenchContenderEntry {
  readonly clearanceMs: number;
  readonly clearanceRatio: number;
  readonly succeeded: number;
  readonly lost: number;
  readonly duplicatesCreated: number;
  readonly status429: number;
  /** Most 429s one user got within one window. */
  readonly max429PerUserWindow: number;
  /** Most 429s one user got within one window after the first (when limits unknown at first are learnt). */
  readonly max429PerUserWindowAfterFirst: number;
  /** Calls Outreach saw while a cool-down a 429 announced was in force; null when not counted. */
  readonly callsDuringCooldown: number | null;
  /** Bulk-lane enrolments that succeeded; null when the workload has none. */
  readonly bulkEnrolmentsSucceeded: number | null;
  /**
   * Bulk enrolments per simulated hour (succeeded ÷ hours from the first enqueue until the last of them settled)
   * divided by Outreach's requests per hour; null when the workload has none or none succeeded.
   */
  readonly enrolmentsPerHourPerLimit: number | null;
  readonly firstRetryAfterMs: number | null;
  readonly maxRetryAfterMs: number | null;
  readonly maxInFlight: number;
  readonly inFlightCap: number;
  readonly criticalWaitP50Ms: number | null;
  readonly criticalWaitP99Ms: number | null;
  /** Each lane's enqueue-to-settled waits of succeeded intents: p50 and p99 in simulated ms, and how many. */
  readonly laneWaitsMs: Readonly<
    Record<string, { readonly p50: number; readonly p99: number; readonly count: number }>
  >;
  readonly upstreamCallsPerIntent: number;
  readonly dynamodbRequestsPerIntent: number;
  readonly usdPerMillionIntents: number;
  /** 429s per successful upstream request; null when none succeeded. */
  readonly retryRatio: number | null;
  /** Standard deviation of the producers' completion times, simulated ms; null when not measured. */
  readonly producerSpreadStdevMs: number | null;
  /** Latest minus earliest producer completion, simulated ms; null when not measured. */
  readonly producerSpreadRangeMs: number | null;
  /** Each producer's completion (first enqueue to its last intent settled), simulated ms; null when not measured. */
  readonly producerFinishMs: Readonly<Record<string, number>> | null;
  /** Longest enqueue-to-settled wait of one intent, simulated ms; null when not measured. */
  readonly longestWaitMs: number | null;
  /** Time to clear the workload (the clearance), simulated ms. */
  readonly timeToClearMs: number;
  /** The gate's AWS calls checked against the synthesized IAM policies, by principal, and denials. */
  readonly iam?: {
    readonly calls: number;
    readonly byPrincipal: Readonly<Record<string, number>>;
    readonly denied: number;
  };
  /** Dispatcher invocations abandoned at the function's timeout. */
  readonly timeouts?: number;
}

/** One scenario of `bench.json`. */
export interface BenchScenarioEntry {
  /** Simulated ms the fastest legal schedule of single requests takes for the simulator's refill mode. */
  readonly idealMs: number;
  /** Outreach's requests per hour per user in the scenario. */
  readonly limitPerHour: number;
  /** Penalty mode: requests during a cool-down extend it. */
  readonly penalty: boolean;
  /** Whether Outreach sends X-RateLimit-* headers. */
  readonly rateLimitHeaders: boolean;
  /** Whether the simulator injects failures (5xx, slow answers, resets…) beyond its latency. */
  readonly injectedFaults: boolean;
  readonly contenders: Partial<Record<ContenderName, BenchContenderEntry>>;
}

/** One contender's figure for one target: met or missed (null: not checked), the value and the value in words. */
export interface TargetCell {
  readonly met: boolean | null;
  readonly value: number | null;
  readonly measured: string;
}

/** One target on one scenario, checked for every contender side by side. */
export interface TargetRow {
  readonly scenario: string;
  /** What is measured, in words. */
  readonly metric: string;
  /** The bound, in words (`≤ 1.03`). */
  readonly target: string;
  /** Per contender; a contender without a cell was not run or the target does not apply to it. */
  readonly contenders: Partial<Record<ContenderName, TargetCell>>;
}

/** `bench.json`. */
export interface BenchJson {
  /** CPU model, cores and Node version of the machine that ran it. */
  readonly machine: string;
  /** ISO time the benchmark finished. */
  readonly date: string;
  readonly quick: boolean;
  readonly scenarios: Readonly<Record<string, BenchScenarioEntry>>;
  /** Every target, per contender, checked on the scenarios run. */
  readonly targets: readonly TargetRow[];
}
