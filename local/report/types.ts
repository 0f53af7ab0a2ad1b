/**
 * What a local run observed, as the run driver hands it to the report. Counts are whole numbers, durations
 * are milliseconds. Every time inside {@link RunSeries} is SIMULATED milliseconds since the run started:
 * the report speaks in the time the workload experienced, not in the wall-clock time the run took.
 */
import type { Lane } from '../../lambdas/shared/names';

/** What happened to the intents the workload enqueued. */
export interface IntentCounts {
  /** Intents producers enqueued. */
  enqueued: number;
  /** Intents settled with a 2xx result. */
  succeeded: number;
  /** Intents moved to a dead-letter queue with a reason. */
  deadLettered: number;
  /** Intents that ended neither succeeded nor dead-lettered (must be 0). */
  lost: number;
  /** Outreach records created twice for one intent (must be 0). */
  duplicatesCreated: number;
}

/** What the gate did to Outreach, as the simulator saw it. */
export interface UpstreamCounts {
  /** API requests Outreach answered (or that timed out). */
  calls: number;
  /** Those requests by status class or code (`"2xx"`, `"429"`, `"5xx"`, `"timeout"`, …). */
  byStatus: Record<string, number>;
  /** Requests answered 429. */
  status429: number;
  /** Most upstream requests in flight at once for one user. */
  maxInFlight: number;
  /** The configured per-user in-flight cap. */
  inFlightCap: number;
  /** Retry-After of the first 429, in simulated ms, or null when Outreach never sent one. */
  firstRetryAfterMs: number | null;
  /** Longest Retry-After Outreach announced, in simulated ms, or null when it never sent one. */
  maxRetryAfterMs: number | null;
  /** Access tokens minted during the run. */
  tokenMints: number;
}

/** How long one lane's intents waited, enqueue to settled, in simulated ms. */
export interface LaneWaits {
  waitP50Ms: number;
  waitP99Ms: number;
  /** Intents of this lane that succeeded. */
  succeeded: number;
}

/** How long the workload took to clear against the fastest legal schedule (see DESIGN "Spending the budget"). */
export interface Clearance {
  /** Simulated ms from the first enqueue to the last intent settled. */
  actualMs: number;
  /** Simulated ms the fastest legal schedule for the simulator's refill mode would take. */
  idealMs: number;
  /** actualMs / idealMs: 1 is ideal, 2 took twice as long. */
  ratio: number;
}

/** DynamoDB traffic the gate caused. */
export interface DynamoDbCounts {
  requests: number;
  requestsPerIntent: number;
}

/** One call AWS would have refused: who, what, on which resource. */
export interface IamDenialRecord {
  principal: string;
  action: string;
  resource: string;
}

/** The IAM check: every AWS call of the dispatcher and the producers, evaluated against the synthesized stack. */
export interface IamCounts {
  /** Calls checked, by principal (`dispatcher`, `producer`), then by IAM action. */
  checked: Record<string, Record<string, number>>;
  /** Calls checked in all. */
  calls: number;
  /** Calls AWS would have denied (must be 0). */
  denied: number;
  /** The first denials (at most 20). */
  denials: IamDenialRecord[];
}

/** The function's time limit and concurrency as the runner enforced them. */
export interface TimeoutCounts {
  /** The deployed function timeout, in wall seconds. */
  functionTimeoutSeconds: number;
  /** Invocations made. */
  invocations: number;
  /** Invocations abandoned at the function timeout. */
  count: number;
  /** Batches throttled at the function's reserved concurrency. */
  throttles: number;
}

/** What paused lanes saved: the pump pauses a lane while every user it serves cools down for long. */
export interface PumpCounts {
  /** Pump pause threshold, in simulated ms: a lane pauses when every user it serves cools down longer. */
  pauseAfterMs: number;
  /** Lanes the pump paused. */
  pauses: number;
  /** Lanes the pump resumed when the earliest cool-down ended. */
  resumes: number;
  /** Receives the event source mappings did not make because their lane was paused (by the pump or an operator). */
  receivesAvoided: number;
}

/** Upstream responses in one simulated second with one status. */
export interface StatusCountPoint {
  /** Simulated ms since the run started (start of the second). */
  t: number;
  /** `"2xx"`, `"429"`, `"4xx"`, `"5xx"` or `"timeout"`. */
  status: string;
  count: number;
}

/** One sample of a single value over simulated time. */
export interface ValuePoint {
  t: number;
  value: number;
}

/** One sample of one lane's queue. */
export interface LaneDepthPoint {
  t: number;
  lane: string;
  /** Messages waiting to be received. */
  visible: number;
  /** Messages received and being handled (not yet deleted). */
  inFlight: number;
}

/** One cool-down Outreach announced (a 429 telling a user when to come back). */
export interface CooldownPoint {
  t: number;
  user: string;
  /** How long Outreach told the user to wait, in simulated ms. */
  waitMs: number;
}

/** One sample of a user's remaining budget in the current window. */
export interface RemainingBudgetPoint {
  t: number;
  user: string;
  remaining: number;
}

/** Time series of the run. All times are SIMULATED ms since the run started. */
export interface RunSeries {
  /** Per simulated second, by status (`"2xx"`, `"429"`, `"4xx"`, `"5xx"`, `"timeout"`). */
  upstreamPerSecond: StatusCountPoint[];
  /** Upstream requests in flight (the simulator's view). */
  inFlight: ValuePoint[];
  laneDepth: LaneDepthPoint[];
  /** Per lane, each intent's enqueue→settled time in simulated ms. */
  laneWaitsMs: Record<string, number[]>;
  /** Cool-downs Outreach announced. */
  cooldowns: CooldownPoint[];
  remainingBudget: RemainingBudgetPoint[];
}

/** One invariant checked after the run (e.g. `lost == 0`, `maxInFlight <= cap`). */
export interface InvariantResult {
  name: string;
  holds: boolean;
  /** What was measured, in plain words. */
  detail: string;
}

/** Everything one local run observed; the run driver fills it and the report renders it. */
export interface RunObservations {
  /** Name of the workload scenario. */
  scenario: string;
  /** Simulated ms per wall-clock ms (60 = an hour in a minute). */
  timeScale: number;
  /** ISO wall-clock time the run started. */
  startedAt: string;
  /** ISO wall-clock time the run finished. */
  finishedAt: string;
  intents: IntentCounts;
  upstream: UpstreamCounts;
  lanes: Record<Lane, LaneWaits>;
  clearance: Clearance;
  dynamodb: DynamoDbCounts;
  /** Outreach users the workload spent. */
  users: string[];
  series: RunSeries;
  invariants: InvariantResult[];
  /** The IAM check's ledger. @default - absent when the run checked no calls */
  iam?: IamCounts;
  /** Timeouts and throttles of the dispatcher's invocations. @default - absent when not measured */
  timeouts?: TimeoutCounts;
  /** The pump's pauses and the receives they avoided. @default - absent when the run had no pump */
  pump?: PumpCounts;
}
