import {
  defaultParkMs,
  MAX_COALESCE_SIZE,
  MAX_PARK_MS,
  minParkMs,
  openTimeNeededMs,
} from '../lambdas/dispatcher/coalesce-rules';
import {
  type GateConfig,
  parseGateConfig,
  SETTLE_MARGIN_MS,
  START_MARGIN_MS,
  secretPrefixProblem,
  userListProblems,
} from '../lambdas/shared/config';
import { LANES, type Lane } from '../lambdas/shared/names';
import { compileRequestPolicy, DEFAULT_RULE, RequestPolicyError } from '../lambdas/shared/request-policy';

/**
 * The gate's settings: what the CDK stack deploys and what the local runner recreates on one machine.
 * Both call {@link resolveGateSettings}, so lanes, batch sizes, concurrency, visibility timeouts and limits
 * are defined once. Times are plain seconds/milliseconds so the local runner need not load the CDK.
 */

/** Per-lane options. */
export interface LaneOptions {
  /**
   * Records handed to one dispatcher invocation (SQS allows 1–10 for FIFO queues).
   * @default - critical 1 (an urgent intent never waits behind others in a batch), standard 5, bulk 10
   */
  readonly batchSize?: number;
  /**
   * Most dispatcher instances this lane's event source mapping runs at once (AWS allows 2–1000).
   * @default - critical 2, standard 4, bulk 4
   */
  readonly maxConcurrency?: number;
  /**
   * Alarm when the lane's oldest message is older than this many seconds.
   * @default - critical 60, standard 900, bulk 7200
   */
  readonly maxMessageAgeSeconds?: number;
}

/** How bulk-lane enrolments are gathered into Outreach bulk actions (see the README's "Bulk enrolments"). */
export interface CoalescingOptions {
  /**
   * Whether bulk-lane `sequenceState.create` intents are gathered into `prospectsAddToSequence` actions. Needs a
   * dispatcher timeout that lets one invocation wait out the window, post the action and follow it to the end
   * (the default 60 s leaves it with the default upstream timeout and batch size).
   * @default - on when the dispatcher timeout leaves the time it needs, off otherwise
   */
  readonly enabled?: boolean;
  /** Most enrolments in one bulk action (at most {@link MAX_COALESCE_SIZE}: the batch item's size bounds it). @default 100 */
  readonly maxSize?: number;
  /**
   * The gathering window: how long the first enrolment of a batch waits for others, in ms; with the 2,000 ms
   * settle margin it must be shorter than the dispatcher timeout.
   * @default - 2000, or half of what a shorter dispatcher timeout leaves after the settle margin
   */
  readonly maxAgeMs?: number;
  /**
   * How long a gathered enrolment stays owned by its batch (its message hidden), in ms: at least the dispatcher
   * timeout plus the window, its grace and 5 s to join (a batch's runner can never outlive it), at most 900,000.
   * @default - the minimum plus one more dispatcher timeout, for the bulk action to complete upstream
   */
  readonly parkMs?: number;
}

/** Everything a deployment or a local run can set. All optional; the defaults suit one Outreach user. */
export interface GateSettingsInput {
  /**
   * Outreach users the gate may act as; each gets its own budget, cool-down, leases and refresh-token secret.
   * @default ['default']
   */
  readonly outreachUsers?: readonly string[];
  /**
   * Name prefix of the users' refresh-token secrets: user `u`'s secret is `<prefix>/u`.
   * @default `outreach-gate/<stack name>`
   */
  readonly refreshTokenSecretPrefix?: string;
  /** @default 'https://api.outreach.io/api/v2' */
  readonly outreachBaseUrl?: string;
  /** @default 'https://api.outreach.io/oauth/token' */
  readonly outreachTokenUrl?: string;
  /** How Outreach refills the budget. @default 'fixed-window' */
  readonly budgetRefill?: 'fixed-window' | 'leaky-bucket';
  /** Requests per window per user Outreach allows. @default 10000 */
  readonly budgetPerWindow?: number;
  /** Length of Outreach's rate-limit window in seconds. @default 3600 */
  readonly budgetWindowSeconds?: number;
  /** Most upstream requests in flight per user across all dispatcher instances. @default 10 */
  readonly inFlightCap?: number;
  /** Share (0–1) of the in-flight cap only `critical` may use; rounded up to whole leases. @default 0.2 */
  readonly criticalLeaseShare?: number;
  /**
   * Most of each window's budget (a share, 0–1) held back for `critical`: fixed window, what critical is projected
   * to need for the rest of the window at the rate it has been spending (twice that, plus its reserved leases), up
   * to this share, and nothing shortly before the reset. @default 0.05
   */
  readonly criticalBudgetShare?: number;
  /**
   * Share of the configured budget spent freely while Outreach has not yet reported its limits (the seeds' 70–80%);
   * a window spent without a 429 earns the configured limit, and 429s teach a lower one. Once Outreach reports
   * `X-RateLimit-Remaining`, the gate spends what it reports, less the critical reserve.
   * @default 0.8
   */
  readonly safetyMargin?: number;
  /** Per-lane options. @default - see {@link LaneOptions} */
  readonly lanes?: Partial<Record<Lane, LaneOptions>>;
  /**
   * The dispatcher's reserved concurrency. Must equal the sum of the lanes' maxConcurrency: less would let
   * Lambda throttle the event source mappings, more would reserve capacity nothing uses.
   * @default - the sum of the lanes' maxConcurrency
   */
  readonly reservedConcurrency?: number;
  /**
   * Dispatcher timeout in seconds (each lane's visibility timeout is six times this).
   * @default - 60 (room for coalescing's runner with the default upstream timeout), 30 with coalescing off
   */
  readonly dispatcherTimeoutSeconds?: number;
  /** Dispatcher memory in MiB. @default 512 */
  readonly dispatcherMemoryMiB?: number;
  /** Timeout of one upstream request in milliseconds. @default 10000 */
  readonly upstreamTimeoutMs?: number;
  /** Failed attempts (never deferrals) after which an intent is dead-lettered. @default 5 */
  readonly maxFailureAttempts?: number;
  /**
   * Seconds an intent keeps retrying after its first counted failure: it is dead-lettered for failures only once
   * it has failed `maxFailureAttempts` times and its first failure is this old, so an outage shorter than this
   * heals by itself (at most 14 days, SQS's retention; 0 lets the count alone decide). @default 3600
   */
  readonly failureWindowSeconds?: number;
  /**
   * Receives after which SQS itself would dead-letter a message. Deferrals are receives too, so this is kept
   * at SQS's maximum; the dispatcher counts real failures itself. @default 1000
   */
  readonly maxReceiveCount?: number;
  /**
   * Cool-down applied when a 429 carries no usable Retry-After or X-RateLimit-Reset, in seconds.
   * @default 60, or a 60th of `budgetWindowSeconds` when that is shorter (a compressed window in tests)
   */
  readonly defaultCooldownSeconds?: number;
  /**
   * Cap, in seconds, of the cool-down after repeated 429s that state no wait (it doubles with each one in a row).
   * @default - 16 × defaultCooldownSeconds
   */
  readonly maxEscalatedCooldownSeconds?: number;
  /**
   * Longest wait, in seconds, a response header (Retry-After, X-RateLimit-Reset) may impose; later times are
   * clamped to it, logged and counted. @default 86400
   */
  readonly maxHeaderWaitSeconds?: number;
  /**
   * Largest clock difference, in milliseconds, assumed between two Lambdas (or a Lambda and Outreach); every
   * comparison of times written elsewhere allows it. @default - 1000, or 0.5% of a window shorter than 200 s
   */
  readonly clockSkewMs?: number;
  /** Consecutive 5xx/timeouts for one user that open the circuit. @default 5 */
  readonly circuitBreakerThreshold?: number;
  /** Seconds the circuit stays open before one probe. @default 30 */
  readonly circuitBreakerOpenSeconds?: number;
  /**
   * Days a settled intent's record and result are kept: the window in which a re-sent or redriven id is
   * recognised. At least the lanes' retention plus a day (15), so a copy still in a queue or dead-letter queue
   * can never outlive the record that stops it being performed twice. @default 15
   */
  readonly intentRecordTtlDays?: number;
  /**
   * Alarm when one user's cool-down outlasts this many seconds; at most 10800 (CloudWatch evaluates the alarm's
   * Metrics Insights query over three hours). @default 900
   */
  readonly cooldownAlarmSeconds?: number;
  /** Alarm when upstream 429s in five minutes reach this count. @default 5 */
  readonly upstream429AlarmThreshold?: number;
  /**
   * What the generic `request` operation may do: rules `METHOD /path` (relative to /api/v2, `*` matching one
   * segment), with `default` standing for the built-in list (reads of the common sales resources, a few safe
   * writes; no DELETE, webhooks, user or admin resources). Writes to bulk actions (`/batches`, `/imports`) are
   * refused whatever the policy. Give producers' clients the same rules.
   * @default ['default']
   */
  readonly requestPolicy?: readonly string[];

  /**
   * Publish an EventBridge event on the account's default bus each time an intent is settled ("Intent
   * Succeeded", "Intent Dead-lettered", source `outreach-gate`); the dispatcher may put events on that bus only.
   * @default false
   */
  readonly completionEvents?: boolean;

  /**
   * Trace the dispatcher with AWS X-Ray through Powertools Tracer: each invocation, its DynamoDB, SQS, Secrets
   * Manager and EventBridge calls and its requests to Outreach. X-Ray bills per trace recorded.
   * @default false
   */
  readonly tracing?: boolean;

  // The monitor
  /**
   * Pause a lane's event source mappings when every user it serves is cooling down for longer than this many
   * seconds; they are resumed when the earliest cool-down ends. @default 300
   */
  readonly pumpPauseAfterSeconds?: number;

  /** Gathering of bulk-lane enrolments into bulk actions. @default - see {@link CoalescingOptions} */
  readonly coalescing?: CoalescingOptions;
}

/** One lane, fully resolved. */
export interface LaneSettings {
  readonly lane: Lane;
  readonly batchSize: number;
  readonly maxConcurrency: number;
  readonly maxMessageAgeSeconds: number;
  /** At least six times the dispatcher timeout, as AWS recommends for event source mappings. */
  readonly visibilityTimeoutSeconds: number;
  readonly maxReceiveCount: number;
  /** Lane and DLQ retention: SQS's maximum, so waiting never expires an intent. */
  readonly retentionSeconds: number;
}

/** The gate's settings, fully resolved and validated. */
export interface GateSettings {
  readonly lanes: Readonly<Record<Lane, LaneSettings>>;
  /** Sum of the lanes' maxConcurrency: the dispatcher's reserved concurrency. */
  readonly reservedConcurrency: number;
  readonly dispatcherTimeoutSeconds: number;
  readonly dispatcherMemoryMiB: number;
  readonly cooldownAlarmSeconds: number;
  readonly upstream429AlarmThreshold: number;
  /** The monitor pauses a lane when every user it serves cools down longer than this. */
  readonly pumpPauseAfterSeconds: number;
  /** Name prefix of the users' refresh-token secrets; undefined for the stack's default. */
  readonly refreshTokenSecretPrefix?: string;
  /** The dispatcher's runtime configuration. */
  readonly gate: GateConfig;
  /** Whether settled intents are announced on the default EventBridge bus. @default false */
  readonly completionEvents?: boolean;
  /** Whether the dispatcher is traced with AWS X-Ray. */
  readonly tracing: boolean;
}

/** Raised for a setting that breaks an AWS limit or the gate's own rules; the message names the value. */
export class GateSettingsError extends Error {
  override readonly name = 'GateSettingsError';
}

/** SQS limits that the settings must respect. */
export const SQS_LIMITS = {
  fifoMaxBatchSize: 10,
  minMaxConcurrency: 2,
  maxMaxConcurrency: 1000,
  maxReceiveCount: 1000,
  maxRetentionSeconds: 1_209_600,
  /** AWS recommends a visibility timeout of at least six times the function timeout. */
  visibilityToTimeoutFactor: 6,
  /**
   * Largest message a lane accepts: an intent's limit, set on the queue so that SQS itself refuses a larger one
   * (a new queue's default is now 1 MiB).
   */
  laneMaxMessageBytes: 262_144,
  /** Largest message a dead-letter queue accepts: SQS's maximum, so a copy with its reason always fits. */
  deadLetterMaxMessageBytes: 1_048_576,
} as const;

const LANE_DEFAULTS: Record<Lane, Required<LaneOptions>> = {
  critical: { batchSize: 1, maxConcurrency: 2, maxMessageAgeSeconds: 60 },
  standard: { batchSize: 5, maxConcurrency: 4, maxMessageAgeSeconds: 900 },
  bulk: { batchSize: 10, maxConcurrency: 4, maxMessageAgeSeconds: 7200 },
};

function integer(name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer from ${min} to ${max}`;
    throw new GateSettingsError(`${name} must be ${range}, got ${value}`);
  }
  return value;
}

function share(name: string, value: number, { allowOne = false } = {}): number {
  const ok = Number.isFinite(value) && value >= 0 && (allowOne ? value <= 1 : value < 1);
  if (!ok)
    throw new GateSettingsError(`${name} must be a number from 0 to ${allowOne ? '1' : 'below 1'}, got ${value}`);
  return value;
}

function users(value: readonly string[]): string[] {
  const problems = userListProblems(value);
  if (problems.length > 0) throw new GateSettingsError(`outreachUsers: ${problems.join('; ')}`);
  return [...value];
}

function secretPrefix(value: string | undefined): string | undefined {
  const problem = value === undefined ? undefined : secretPrefixProblem(value);
  if (problem !== undefined) throw new GateSettingsError(`refreshTokenSecretPrefix: ${problem}`);
  return value;
}

function requestPolicy(rules: readonly string[]): string[] {
  try {
    compileRequestPolicy(rules);
  } catch (error) {
    if (error instanceof RequestPolicyError) throw new GateSettingsError(`requestPolicy: ${error.message}`);
    throw error;
  }
  return [...rules];
}

function url(name: string, value: string): string {
  try {
    const parsed = new URL(value);
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new Error('not http(s)');
  } catch {
    throw new GateSettingsError(`${name} must be an http(s) URL, got "${value}"`);
  }
  return value.replace(/\/+$/, '');
}

function resolveLane(
  lane: Lane,
  options: LaneOptions | undefined,
  common: { timeout: number; maxReceiveCount: number },
) {
  const merged = { ...LANE_DEFAULTS[lane], ...stripUndefined(options ?? {}) };
  const visibilityTimeoutSeconds = common.timeout * SQS_LIMITS.visibilityToTimeoutFactor;
  return {
    lane,
    batchSize: integer(`lanes.${lane}.batchSize`, merged.batchSize, 1, SQS_LIMITS.fifoMaxBatchSize),
    maxConcurrency: integer(
      `lanes.${lane}.maxConcurrency`,
      merged.maxConcurrency,
      SQS_LIMITS.minMaxConcurrency,
      SQS_LIMITS.maxMaxConcurrency,
    ),
    maxMessageAgeSeconds: integer(`lanes.${lane}.maxMessageAgeSeconds`, merged.maxMessageAgeSeconds, 1),
    visibilityTimeoutSeconds,
    maxReceiveCount: common.maxReceiveCount,
    retentionSeconds: SQS_LIMITS.maxRetentionSeconds,
  } satisfies LaneSettings;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The cool-down settings: the default wait and, when set, the cap of its escalation. */
function cooldownConfig(input: GateSettingsInput, budgetWindowSeconds: number): GateConfig['cooldown'] {
  const defaultWaitMs =
    input.defaultCooldownSeconds === undefined
      ? Math.max(1, Math.round(Math.min(60, budgetWindowSeconds / 60) * 1000))
      : integer('defaultCooldownSeconds', input.defaultCooldownSeconds, 1) * 1000;
  if (input.maxEscalatedCooldownSeconds === undefined) return { defaultWaitMs };
  const max = integer('maxEscalatedCooldownSeconds', input.maxEscalatedCooldownSeconds, 1) * 1000;
  if (max < defaultWaitMs) {
    throw new GateSettingsError(
      `maxEscalatedCooldownSeconds (${input.maxEscalatedCooldownSeconds}) must be at least defaultCooldownSeconds (${defaultWaitMs / 1000})`,
    );
  }
  return { defaultWaitMs, maxEscalatedWaitMs: max };
}

/**
 * Applies defaults and validates every setting against AWS's limits and the gate's rules.
 * @throws GateSettingsError naming the bad setting and its value.
 */
export function resolveGateSettings(input: GateSettingsInput = {}): GateSettings {
  const dispatcherTimeoutSeconds = integer(
    'dispatcherTimeoutSeconds',
    input.dispatcherTimeoutSeconds ?? defaultDispatcherTimeoutSeconds(input),
    1,
    900,
  );
  const maxReceiveCount = integer('maxReceiveCount', input.maxReceiveCount ?? 1000, 1, SQS_LIMITS.maxReceiveCount);
  if (maxReceiveCount < 100) {
    throw new GateSettingsError(
      `maxReceiveCount must be at least 100 so that deferrals never push an intent into a dead-letter queue, got ${maxReceiveCount}`,
    );
  }
  const lanes = Object.fromEntries(
    LANES.map((lane) => [
      lane,
      resolveLane(lane, input.lanes?.[lane], { timeout: dispatcherTimeoutSeconds, maxReceiveCount }),
    ]),
  ) as Record<Lane, LaneSettings>;
  for (const key of Object.keys(input.lanes ?? {})) {
    if (!(LANES as readonly string[]).includes(key)) {
      throw new GateSettingsError(`lanes has an unknown lane "${key}"; lanes are ${LANES.join(', ')}`);
    }
  }
  const reservedConcurrency = LANES.reduce((sum, lane) => sum + lanes[lane].maxConcurrency, 0);
  if (input.reservedConcurrency !== undefined && input.reservedConcurrency !== reservedConcurrency) {
    throw new GateSettingsError(
      `reservedConcurrency (${input.reservedConcurrency}) must equal the sum of the lanes' maxConcurrency (${LANES.map((l) => `${l} ${lanes[l].maxConcurrency}`).join(' + ')} = ${reservedConcurrency})`,
    );
  }

  const inFlightCap = integer('inFlightCap', input.inFlightCap ?? 10, 1);
  const criticalLeaseShare = share('criticalLeaseShare', input.criticalLeaseShare ?? 0.2);
  const criticalLeases = Math.ceil(inFlightCap * criticalLeaseShare);
  if (criticalLeases >= inFlightCap) {
    throw new GateSettingsError(
      `criticalLeaseShare ${criticalLeaseShare} of inFlightCap ${inFlightCap} reserves every lease (${criticalLeases}) for critical; leave at least one for the other lanes`,
    );
  }
  const upstreamTimeoutMs = integer('upstreamTimeoutMs', input.upstreamTimeoutMs ?? 10_000, 100);
  if (START_MARGIN_MS + upstreamTimeoutMs + SETTLE_MARGIN_MS > dispatcherTimeoutSeconds * 1000) {
    throw new GateSettingsError(
      `upstreamTimeoutMs (${upstreamTimeoutMs}) plus ${START_MARGIN_MS} ms to start and ${SETTLE_MARGIN_MS} ms to settle must fit in the dispatcher timeout (${dispatcherTimeoutSeconds * 1000} ms): the dispatcher never starts a request it cannot finish`,
    );
  }
  const budgetWindowSeconds = input.budgetWindowSeconds ?? 3600;
  if (!(Number.isFinite(budgetWindowSeconds) && budgetWindowSeconds > 0)) {
    throw new GateSettingsError(`budgetWindowSeconds must be a positive number, got ${budgetWindowSeconds}`);
  }
  const safetyMargin = input.safetyMargin ?? 0.8;
  if (!(Number.isFinite(safetyMargin) && safetyMargin > 0 && safetyMargin <= 1)) {
    throw new GateSettingsError(`safetyMargin must be above 0 and at most 1, got ${safetyMargin}`);
  }

  const gate = parseGateConfig({
    version: 1,
    users: users(input.outreachUsers ?? ['default']),
    outreach: {
      baseUrl: url('outreachBaseUrl', input.outreachBaseUrl ?? 'https://api.outreach.io/api/v2'),
      tokenUrl: url('outreachTokenUrl', input.outreachTokenUrl ?? 'https://api.outreach.io/oauth/token'),
      requestTimeoutMs: upstreamTimeoutMs,
      minMintIntervalMs: 60_000,
    },
    budget: {
      refill: input.budgetRefill ?? 'fixed-window',
      limitPerWindow: integer('budgetPerWindow', input.budgetPerWindow ?? 10_000, 1),
      windowSeconds: budgetWindowSeconds,
      safetyMargin,
      criticalReserve: share('criticalBudgetShare', input.criticalBudgetShare ?? 0.05),
      reserveReleaseMs: Math.round(Math.min(60, budgetWindowSeconds / 60) * 1000),
      resetSkewMs: Math.round(Math.min(1000, budgetWindowSeconds * 1000 * 0.005)),
    },
    leases: {
      inFlightCap,
      criticalReserve: criticalLeases,
      ttlMs: dispatcherTimeoutSeconds * 1000,
    },
    cooldown: cooldownConfig(input, budgetWindowSeconds),
    timing: {
      maxHeaderWaitMs: integer('maxHeaderWaitSeconds', input.maxHeaderWaitSeconds ?? 86_400, 1) * 1000,
      clockSkewMs: integer(
        'clockSkewMs',
        input.clockSkewMs ?? Math.round(Math.min(1000, budgetWindowSeconds * 1000 * 0.005)),
        0,
        60_000,
      ),
    },
    circuitBreaker: {
      failureThreshold: integer('circuitBreakerThreshold', input.circuitBreakerThreshold ?? 5, 1),
      openMs: integer('circuitBreakerOpenSeconds', input.circuitBreakerOpenSeconds ?? 30, 1) * 1000,
    },
    retries: {
      maxFailureAttempts: integer('maxFailureAttempts', input.maxFailureAttempts ?? 5, 1, 100),
      backoffBaseMs: 1000,
      backoffMaxMs: 300_000,
      failureWindowMs:
        integer('failureWindowSeconds', input.failureWindowSeconds ?? 3600, 0, SQS_LIMITS.maxRetentionSeconds) * 1000,
    },
    deferral: { maxInProcessWaitMs: 2000, jitterMs: 1000, recycleAtReceiveCount: maxReceiveCount - 50 },
    intents: { recordTtlSeconds: intentRecordTtlSeconds(input.intentRecordTtlDays) },
    coalescing: coalescingConfig(input.coalescing ?? {}, dispatcherTimeoutSeconds * 1000, upstreamTimeoutMs),
    requestPolicy: requestPolicy(input.requestPolicy ?? [DEFAULT_RULE]),
  });

  return assertDispatcherWiring({
    lanes,
    reservedConcurrency,
    dispatcherTimeoutSeconds,
    dispatcherMemoryMiB: integer('dispatcherMemoryMiB', input.dispatcherMemoryMiB ?? 512, 128, 10_240),
    cooldownAlarmSeconds: integer('cooldownAlarmSeconds', input.cooldownAlarmSeconds ?? 900, 1),
    upstream429AlarmThreshold: integer('upstream429AlarmThreshold', input.upstream429AlarmThreshold ?? 5, 1),
    pumpPauseAfterSeconds: integer('pumpPauseAfterSeconds', input.pumpPauseAfterSeconds ?? 300, 0, 86_400),
    ...(input.refreshTokenSecretPrefix === undefined
      ? {}
      : { refreshTokenSecretPrefix: secretPrefix(input.refreshTokenSecretPrefix) }),
    gate,
    ...(input.completionEvents === true ? { completionEvents: true } : {}),
    tracing: input.tracing === true,
  });
}

/**
 * Checks the AWS limits the dispatcher's wiring must respect: batch size 1–10 (FIFO), maxConcurrency ≥ 2,
 * visibility timeout ≥ 6 × the function timeout, reserved concurrency = the sum of the lanes' maxConcurrency.
 * CDK itself checks none of the last two. Returns the settings unchanged.
 * @throws GateSettingsError naming the lane, the setting and its value.
 */
export function assertDispatcherWiring(settings: GateSettings): GateSettings {
  let sum = 0;
  for (const lane of LANES) {
    const s = settings.lanes[lane];
    integer(`lanes.${lane}.batchSize`, s.batchSize, 1, SQS_LIMITS.fifoMaxBatchSize);
    integer(
      `lanes.${lane}.maxConcurrency`,
      s.maxConcurrency,
      SQS_LIMITS.minMaxConcurrency,
      SQS_LIMITS.maxMaxConcurrency,
    );
    const minimum = settings.dispatcherTimeoutSeconds * SQS_LIMITS.visibilityToTimeoutFactor;
    if (s.visibilityTimeoutSeconds < minimum) {
      throw new GateSettingsError(
        `lanes.${lane}.visibilityTimeoutSeconds (${s.visibilityTimeoutSeconds}) must be at least 6 × the dispatcher timeout (${minimum})`,
      );
    }
    sum += s.maxConcurrency;
  }
  if (settings.reservedConcurrency !== sum) {
    throw new GateSettingsError(
      `reservedConcurrency (${settings.reservedConcurrency}) must equal the sum of the lanes' maxConcurrency (${sum})`,
    );
  }
  return settings;
}

/**
 * Dispatcher timeout an invocation needs to open a bulk action and follow it to the end (see openTimeNeededMs),
 * plus the time to start.
 */
function coalescingTimeoutNeededMs(upstreamTimeoutMs: number, maxAgeMs: number, maxSize: number): number {
  return START_MARGIN_MS + openTimeNeededMs(upstreamTimeoutMs + SETTLE_MARGIN_MS, { maxAgeMs, maxSize });
}

/**
 * The default dispatcher timeout: 60 s, room for a bulk action's runner with the default upstream timeout and
 * batch size, or 30 s with coalescing turned off.
 */
function defaultDispatcherTimeoutSeconds(input: GateSettingsInput): number {
  return input.coalescing?.enabled === false ? 30 : 60;
}

/**
 * The coalescing block: defaults applied, each value checked against the window, the timeout and the item size.
 * Coalescing is on by default when the dispatcher timeout leaves a bulk action's runner the time it needs.
 */
function coalescingConfig(
  options: CoalescingOptions,
  functionTimeoutMs: number,
  upstreamTimeoutMs: number,
): NonNullable<GateConfig['coalescing']> {
  const maxSize = integer('coalescing.maxSize', options.maxSize ?? 100, 1, MAX_COALESCE_SIZE);
  // The default window shrinks for short dispatcher timeouts, so that it always fits.
  const defaultMaxAgeMs = Math.min(2000, Math.floor((functionTimeoutMs - SETTLE_MARGIN_MS) / 2));
  const maxAgeMs = integer('coalescing.maxAgeMs', options.maxAgeMs ?? defaultMaxAgeMs, 1, 60_000);
  if (maxAgeMs + SETTLE_MARGIN_MS >= functionTimeoutMs) {
    throw new GateSettingsError(
      `coalescing.maxAgeMs (${maxAgeMs}) plus ${SETTLE_MARGIN_MS} ms must be less than the dispatcher timeout (${functionTimeoutMs} ms): the batch's opener waits the window out in its invocation`,
    );
  }
  const floor = minParkMs({ maxAgeMs }, functionTimeoutMs);
  if (floor > MAX_PARK_MS) {
    throw new GateSettingsError(
      `coalescing needs a park of at least ${floor} ms with this dispatcher timeout and window, more than ${MAX_PARK_MS}; shorten coalescing.maxAgeMs or turn coalescing off`,
    );
  }
  const parkMs = integer('coalescing.parkMs', options.parkMs ?? defaultParkMs({ maxAgeMs }, functionTimeoutMs), 1);
  if (parkMs < floor || parkMs > MAX_PARK_MS) {
    throw new GateSettingsError(
      `coalescing.parkMs (${parkMs}) must be from ${floor} (the dispatcher timeout ${functionTimeoutMs} ms plus the window, its grace and 5 s to join, so a batch's runner never outlives its members' ownership) to ${MAX_PARK_MS}`,
    );
  }
  const neededMs = coalescingTimeoutNeededMs(upstreamTimeoutMs, maxAgeMs, maxSize);
  const fits = neededMs <= functionTimeoutMs;
  if (options.enabled === true && !fits) {
    throw new GateSettingsError(
      `coalescing needs a dispatcher timeout of at least ${Math.ceil(neededMs / 1000)} s with upstreamTimeoutMs ${upstreamTimeoutMs}, coalescing.maxAgeMs ${maxAgeMs} and coalescing.maxSize ${maxSize} (the window, then a bulk action's POST, its first poll, one read and a cancel with one more read), got ${functionTimeoutMs / 1000} s; raise dispatcherTimeoutSeconds, lower upstreamTimeoutMs or turn coalescing off`,
    );
  }
  return { enabled: options.enabled ?? fits, maxSize, maxAgeMs, parkMs };
}

/** The shortest record TTL: a queued or dead-lettered copy of an intent never outlives its record. */
export const MIN_INTENT_RECORD_TTL_DAYS = Math.ceil(SQS_LIMITS.maxRetentionSeconds / 86_400) + 1;

function intentRecordTtlSeconds(days: number | undefined): number {
  const value = integer('intentRecordTtlDays', days ?? MIN_INTENT_RECORD_TTL_DAYS, 1, 365);
  if (value < MIN_INTENT_RECORD_TTL_DAYS) {
    throw new GateSettingsError(
      `intentRecordTtlDays (${value}) must be at least ${MIN_INTENT_RECORD_TTL_DAYS}: queues keep a message up to ${SQS_LIMITS.maxRetentionSeconds / 86_400} days, and a copy re-sent or redriven after its intent's record expired would be performed again`,
    );
  }
  return value * 86_400;
}
