/**
 * Names shared by the CDK stack, the dispatcher and the local runner. Defined once here so that
 * what is deployed, what runs locally and what the handler looks for can never drift apart.
 */

/** The priority lanes, most urgent first. Each is one SQS FIFO queue with its own FIFO dead-letter queue. */
export const LANES = ['critical', 'standard', 'bulk'] as const;

/** One priority lane. */
export type Lane = (typeof LANES)[number];

/** True when `value` names a lane. */
export function isLane(value: unknown): value is Lane {
  return typeof value === 'string' && (LANES as readonly string[]).includes(value);
}

/** The gate table's single key attribute and its TTL attribute. */
export const TABLE_KEYS = {
  partitionKey: 'pk',
  ttlAttribute: 'expiresAt',
} as const;

/** Prefixes of the three item families in the gate table (`gate#<user>`, `intent#<id>`, `token#<user>`). */
export const ITEM_PREFIX = {
  gate: 'gate#',
  intent: 'intent#',
  token: 'token#',
  pump: 'pump#',
  coalesce: 'coalesce#',
} as const;

/** The gate item key for one Outreach user. */
export const gateKey = (user: string): string => `${ITEM_PREFIX.gate}${user}`;
/** The intent record key for one producer idempotency key. */
export const intentKey = (id: string): string => `${ITEM_PREFIX.intent}${id}`;
/** The token item key for one Outreach user. */
export const tokenKey = (user: string): string => `${ITEM_PREFIX.token}${user}`;
/** The key of the item recording that the monitor paused one lane's event source mappings. */
export const pumpKey = (lane: Lane): string => `${ITEM_PREFIX.pump}${lane}`;
/** The key of the forming bulk enrolment of one user into one sequence from one mailbox (see coalescer.ts). */
export const coalesceKey = (user: string, sequenceId: number, mailboxId: number): string =>
  `${ITEM_PREFIX.coalesce}${user}#${sequenceId}#${mailboxId}`;

/**
 * First part of every gate's CloudWatch namespace: a gate publishes its custom metrics (EMF) to
 * `OutreachGate/<stack name>[/<the gate's path below its stack>]` unless its `metricsNamespace` names another, so
 * two gates in one account and region never share a figure.
 */
export const METRICS_NAMESPACE_PREFIX = 'OutreachGate';

/** Powertools service name used by the dispatcher's logger and metrics. */
export const SERVICE_NAME = 'outreach-gate-dispatcher';

/** Powertools service name used by the monitor's logger and metrics. */
export const MONITOR_SERVICE_NAME = 'outreach-gate-monitor';

/** Custom metric names the dispatcher publishes and the dashboard and alarms read. */
export const METRIC = {
  /** Upstream responses; dimension `Status` is the HTTP status class or code (see {@link STATUS_DIMENSION_VALUES}). */
  upstreamCalls: 'UpstreamCalls',
  /** Upstream 429 responses (also counted in UpstreamCalls); also by `Lane` and by `User` (see {@link METRIC_BREAKDOWNS}). */
  upstream429: 'Upstream429',
  /** Upstream latency in milliseconds. */
  upstreamLatency: 'UpstreamLatency',
  /** Intents put back to wait; dimension `Reason`, also by `Lane` and by `User` (see {@link METRIC_BREAKDOWNS}). Never a failure. */
  deferrals: 'Deferrals',
  /** Failed attempts (5xx, timeouts, resets); dimension `Lane`. */
  failures: 'Failures',
  /** Intents moved to a dead-letter queue; dimension `Lane`. */
  deadLettered: 'DeadLettered',
  /** Intents settled with a 2xx result; dimension `Lane`. */
  succeeded: 'Succeeded',
  /** Upstream requests in flight for a user when a lease was taken; dimension `User`. */
  inFlight: 'InFlight',
  /** Estimated requests left in the user's current window; dimension `User`. */
  remainingBudget: 'RemainingBudget',
  /** Milliseconds of cool-down left when a caller found the user cooling down; dimension `User`. */
  cooldownRemaining: 'CooldownRemaining',
  /** Milliseconds between a message's SentTimestamp and its processing; dimension `Lane`. */
  queueWait: 'QueueWait',
  /** Access tokens minted; dimension `User`. */
  tokenMints: 'TokenMints',
  /** Monitor, every minute: milliseconds of cool-down left in the user's gate item (0 when none); dimension `User`. */
  gateCooldownRemaining: 'GateCooldownRemaining',
  /** Monitor, every minute: requests left in the user's window as the gate item says; dimension `User`. */
  gateBudgetRemaining: 'GateBudgetRemaining',
  /** Monitor, every minute: leases held in the user's gate item; dimension `User`. */
  gateInFlight: 'GateInFlight',
  /** Monitor, every minute: 1 while the user's circuit breaker is open, else 0; dimension `User`. */
  gateCircuitOpen: 'GateCircuitOpen',
  /** Monitor, every minute: 1 while the monitor holds the lane's event source mappings disabled; dimension `Lane`. */
  lanePaused: 'LanePaused',
} as const;

/**
 * The credential-health metric: 1 each time a user is found unable to get a token, with dimensions
 * {@link DIMENSION.user} and {@link DIMENSION.cause} (a {@link CREDENTIAL_CAUSES} value). Published by the
 * dispatcher while the user's intents wait; the credential alarm reads it over every user at once.
 */
export const CREDENTIAL_METRIC = 'CredentialsPaused';

/** Why a user cannot get a token: its refresh token was refused (`invalid-grant`) or was never stored (`not-set`). */
export const CREDENTIAL_CAUSES = ['invalid-grant', 'not-set'] as const;

/** One value of the `Cause` dimension of {@link CREDENTIAL_METRIC}. */
export type CredentialCause = (typeof CREDENTIAL_CAUSES)[number];

/** Metric dimension names. */
export const DIMENSION = {
  lane: 'Lane',
  user: 'User',
  status: 'Status',
  reason: 'Reason',
  cause: 'Cause',
} as const;

/** Values of the `Status` dimension of {@link METRIC.upstreamCalls}. */
export const STATUS_DIMENSION_VALUES = ['2xx', '429', '4xx', '5xx', 'timeout'] as const;

/** Why an intent was deferred (values of the `Reason` dimension of {@link METRIC.deferrals}). */
export const DEFERRAL_REASONS = [
  'cooldown',
  'lease',
  'budget',
  'circuit',
  'backoff',
  'token',
  'in-flight',
  'time',
] as const;

/** Environment variables the stack sets on the dispatcher and the local runner sets for the handler. */
export const ENV = {
  tableName: 'GATE_TABLE_NAME',
  lanes: 'GATE_LANES',
  config: 'GATE_CONFIG',
  appSecretArn: 'OUTREACH_APP_SECRET_ARN',
  /** Name prefix of the users' refresh-token secrets: user `u`'s secret is `<prefix>/u`. */
  refreshTokenSecretPrefix: 'OUTREACH_REFRESH_TOKEN_SECRET_PREFIX',
  /** Path of the users file (the Outreach users the gate acts as), read once at cold start. */
  usersFile: 'GATE_USERS_FILE',
  /** Dispatcher: name or ARN of the EventBridge bus completion events go to; unset when they are off. */
  completionEventBus: 'GATE_COMPLETION_EVENT_BUS',
  /** Monitor: the dispatcher's event source mapping ids per lane (JSON `{lane: [uuid]}`). */
  eventSourceMappings: 'GATE_EVENT_SOURCE_MAPPINGS',
  /** Monitor: pause a lane when every user it serves cools down longer than this many milliseconds. */
  pauseAfterMs: 'PUMP_PAUSE_AFTER_MS',
  /** Dispatcher and monitor: the gate's CloudWatch namespace, required at cold start (Powertools' own variable). */
  metricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
} as const;

/** The dimension Powertools Metrics adds to every metric, holding {@link SERVICE_NAME}. */
export const SERVICE_DIMENSION = 'service';

/**
 * The one dimension (besides {@link SERVICE_DIMENSION}) each custom metric is published with, or `null` for
 * a metric published with the service dimension alone. The dispatcher publishes exactly these sets and the
 * dashboard and alarms read exactly these sets: CloudWatch matches a metric only on its full dimension set.
 */
export const METRIC_DIMENSION: Readonly<Record<keyof typeof METRIC, string | null>> = {
  upstreamCalls: DIMENSION.status,
  upstream429: null,
  upstreamLatency: null,
  deferrals: DIMENSION.reason,
  failures: DIMENSION.lane,
  deadLettered: DIMENSION.lane,
  succeeded: DIMENSION.lane,
  inFlight: DIMENSION.user,
  remainingBudget: DIMENSION.user,
  cooldownRemaining: DIMENSION.user,
  queueWait: DIMENSION.lane,
  tokenMints: DIMENSION.user,
  gateCooldownRemaining: DIMENSION.user,
  gateBudgetRemaining: DIMENSION.user,
  gateInFlight: DIMENSION.user,
  gateCircuitOpen: DIMENSION.user,
  lanePaused: DIMENSION.lane,
};

/**
 * Further dimension sets (each one dimension besides the service's) a metric is also published with, so the
 * dashboard answers "which lane, which user?". Each set is its own series per value, not a product of them: a
 * deployment with N users publishes 3 + N series more for each metric here (2 × (3 + N) in all), instead of the
 * 3 × N × reasons a combined set would cost.
 */
export const METRIC_BREAKDOWNS: Readonly<Partial<Record<keyof typeof METRIC, readonly string[]>>> = {
  upstream429: [DIMENSION.lane, DIMENSION.user],
  deferrals: [DIMENSION.lane, DIMENSION.user],
};

/** Every dimension set (besides the service's) a metric is published with: `null` for the service's alone. */
export function metricDimensionSets(name: keyof typeof METRIC): readonly (string | null)[] {
  return [METRIC_DIMENSION[name], ...(METRIC_BREAKDOWNS[name] ?? [])];
}

/** The metrics the monitor publishes (with {@link MONITOR_SERVICE_NAME} as their service); the dispatcher the rest. */
export const MONITOR_METRICS = [
  'gateCooldownRemaining',
  'gateBudgetRemaining',
  'gateInFlight',
  'gateCircuitOpen',
  'lanePaused',
] as const satisfies readonly (keyof typeof METRIC)[];

/** The value of the {@link SERVICE_DIMENSION} a metric is published with: who publishes it. */
export function metricService(name: keyof typeof METRIC): string {
  return (MONITOR_METRICS as readonly string[]).includes(name) ? MONITOR_SERVICE_NAME : SERVICE_NAME;
}

/**
 * The EventBridge events the dispatcher publishes, when enabled, once an intent's record is settled: their
 * `source` and `detail-type`s (a rule matches on these).
 */
export const COMPLETION_EVENTS = {
  source: 'outreach-gate',
  succeeded: 'Intent Succeeded',
  deadLettered: 'Intent Dead-lettered',
} as const;

/** A completion event's `detail-type`. */
export type CompletionDetailType = (typeof COMPLETION_EVENTS)['succeeded' | 'deadLettered'];

/** Metric counting completion events EventBridge did not accept (the intent stays settled; logged too). */
export const COMPLETION_EVENTS_FAILED_METRIC = 'CompletionEventsFailed';
