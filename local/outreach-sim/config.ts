/**
 * The simulator's behaviour settings: their types (documented, because reports and benchmarks read them
 * back from `stats().config`), their defaults, validation of patches sent at run time, and the durations
 * derived from them.
 *
 * Durations that model Outreach's own clocks (token lifetime, mint interval, penalty waits, batch
 * progress) are given in Outreach seconds and multiplied by the time scale, which defaults to
 * `windowSeconds / 3600`: shrinking the hour to 2 seconds shrinks everything else in proportion.
 */
import { z } from 'zod';

/** How the per-user budget refills. */
export type WindowMode = 'fixed' | 'leaky';

/** How `Retry-After` is written on a 429: delta-seconds, epoch seconds (alias of the reset), HTTP-date, or left out. */
export type RetryAfterFormat = 'delta' | 'epoch' | 'http-date' | 'none';

/** How `X-RateLimit-Reset` is written: epoch seconds (what existing clients assume) or seconds from now. */
export type ResetHeaderFormat = 'epoch' | 'delta';

/** Status codes an error fault can answer with. */
export type FaultStatus = 500 | 502 | 503;

/** Penalty mode: a request made while its user is told to wait is refused and makes the wait longer. */
export interface PenaltyConfig {
  /** Turns penalty mode on. */
  enabled: boolean;
  /** First cool-down, in Outreach seconds (scaled). Default 10. */
  initialWaitSeconds: number;
  /** Each request during a cool-down multiplies the wait by this factor. Default 1.5 (10 s → 210 s in 8 strikes). */
  growthFactor: number;
  /** Longest cool-down, in Outreach seconds (scaled). Default 210. */
  maxWaitSeconds: number;
}

/** OAuth behaviour of `POST /oauth/token`. */
export interface OAuthConfig {
  /** Accepted client id (development credential). Default `sim-client`. */
  clientId: string;
  /** Accepted client secret (development credential). Default `sim-secret`. */
  clientSecret: string;
  /** Access-token lifetime in Outreach seconds (scaled). Default 7200. */
  accessTokenLifetimeSeconds: number;
  /** At most one mint per user per this many Outreach seconds (scaled). Default 60. */
  mintIntervalSeconds: number;
  /** A refresh token dies once this many newer ones were issued for its user. Default 100. */
  refreshTokenHistory: number;
  /** Refresh-token lifetime in Outreach seconds (scaled). Default 14 days. */
  refreshTokenLifetimeSeconds: number;
  /** Live access tokens kept per user; minting more revokes the oldest. Default 100. */
  maxLiveAccessTokens: number;
  /**
   * Scopes granted per user (`prospects.read`, `sequenceStates.all`…). Users not listed get every scope.
   * `write` does not imply `read`; `<resource>.all` implies both.
   */
  scopes: Record<string, string[]>;
}

/** Resource store behaviour. */
export interface ResourcesConfig {
  /** Accounts created at start-up and on reset (ids 1…n). Default 3. */
  seedAccounts: number;
  /** Sequences created at start-up and on reset (ids 1…n). Default 3. */
  seedSequences: number;
  /** Mailboxes created at start-up and on reset (ids 1…n). Default 2. */
  seedMailboxes: number;
  /**
   * Prospects created at start-up and on reset (ids 1…n, e-mail `seed-<n>@example.com`, first name `Seed<n>`),
   * so a workload can enrol or update thousands of existing prospects without spending any user's budget. Default 0.
   */
  seedProspects: number;
  /** `page[size]` when the client sends none. Default 50. */
  defaultPageSize: number;
  /** Largest accepted `page[size]`. Default 1000. */
  maxPageSize: number;
  /**
   * A second unfinished sequence state for the same prospect and sequence: `create` makes it (and counts a
   * duplicate, so tests see double effects), `reject` answers 422 like Outreach's docs describe.
   */
  duplicateSequenceState: 'create' | 'reject';
}

/** How bulk actions progress. */
export interface BatchesConfig {
  /** Outreach seconds (scaled) a batch stays `pending` before `processing`. Default 2. */
  startDelaySeconds: number;
  /** Outreach seconds (scaled) spent on each item while `processing`. Default 0.2. */
  secondsPerItem: number;
  /** Status of `POST /batches/actions/…`: the OpenAPI document declares 200. Default 200. */
  createStatus: 200 | 201;
  /** Items of these prospects are left out of `GET /batchItems` listings (a fault: items missing). Default none. */
  unlistedProspects: number[];
}

/** Faults injected into `/api/v2` responses. */
export interface FaultsConfig {
  /** Added to every API response, in real milliseconds. */
  latencyMs: number;
  /** Random extra latency, uniformly 0…this many real milliseconds. */
  latencyJitterMs: number;
  /** The next `count` API requests fail with `status`; the count goes down as they are answered. */
  errorBurst: { status: FaultStatus; count: number } | null;
  /** Probability (0…1) that an API request fails with `errorRateStatus`. */
  errorRate: number;
  /** Status used by `errorRate`. Default 500. */
  errorRateStatus: FaultStatus;
  /** Extra delay (real ms) for slow responses: the request is processed, the answer comes late. */
  slowResponseMs: number;
  /** Probability (0…1) that a response is slow. */
  slowRate: number;
  /** Probability (0…1) that the connection is reset instead of answered. */
  resetRate: number;
  /** The next N API requests get their connection reset; the count goes down as they arrive. */
  resetNext: number;
  /** `before`: reset without processing the request; `after`: process it (a create happens), then reset. */
  resetPhase: 'before' | 'after';
  /** While now < `untilEpochMs`, every API request gets 503 `scheduledServerMaintenance` with `Retry-After`. */
  maintenance: { untilEpochMs: number } | null;
  /** While now < `untilEpochMs`, `POST /oauth/token` answers 503 `temporarily_unavailable` and mints nothing. */
  tokenOutage: { untilEpochMs: number } | null;
  /** While now < `untilEpochMs`, API requests are held open and never answered: the client has to time out. */
  unresponsive: { untilEpochMs: number } | null;
  /** The next N API requests get a bare 429: no Retry-After and no X-RateLimit-* headers. */
  bare429Next: number;
}

/** Fault switches that last for a while: set as `{untilEpochMs}` or `{durationMs}` from now, ended with `null`. */
export const FAULT_WINDOWS = ['maintenance', 'tokenOutage', 'unresponsive'] as const;

/** One of {@link FAULT_WINDOWS}. */
export type FaultWindow = (typeof FAULT_WINDOWS)[number];

/** Everything that can be changed while the simulator runs (`POST /__sim/config`). */
export interface SimulatorConfig {
  /** Outreach users with development credentials (`refresh-<user>`). Default `['u1']`. */
  users: string[];
  /** Requests per window per user. Default 10,000. */
  budget: number;
  /** Window length in real seconds. Default 3600. */
  windowSeconds: number;
  /** `fixed` window anchored at the user's first request, or `leaky` bucket. Default `fixed`. */
  mode: WindowMode;
  /** Multiplier for Outreach-time durations; `null` means `windowSeconds / 3600`. */
  timeScale: number | null;
  /** Send `X-RateLimit-Limit/-Remaining/-Reset` on every API response. Default true. */
  rateLimitHeaders: boolean;
  /** Format of `X-RateLimit-Reset`. Default `epoch`. */
  resetHeader: ResetHeaderFormat;
  /** Format of `Retry-After` on 429. Default `delta`. */
  retryAfter: RetryAfterFormat;
  /** Answer 429 when a user has more than this many requests in flight; `null` = no cap. */
  concurrencyCap: number | null;
  /** Whether refused (429) requests use up budget too. Default false. */
  rejectedRequestsConsumeBudget: boolean;
  /** Escalating cool-downs. */
  penalty: PenaltyConfig;
  /** Token endpoint behaviour. */
  oauth: OAuthConfig;
  /** Resource store behaviour. */
  resources: ResourcesConfig;
  /** Bulk action progress. */
  batches: BatchesConfig;
  /** Injected faults. */
  faults: FaultsConfig;
}

/** A partial update of {@link SimulatorConfig}: nested groups may be partial too. */
export type SimulatorConfigPatch = Partial<
  Omit<SimulatorConfig, 'penalty' | 'oauth' | 'resources' | 'batches' | 'faults'>
> & {
  penalty?: Partial<PenaltyConfig>;
  oauth?: Partial<OAuthConfig>;
  resources?: Partial<ResourcesConfig>;
  batches?: Partial<BatchesConfig>;
  faults?: Partial<Omit<FaultsConfig, FaultWindow>> & {
    /** `{untilEpochMs}` or, for convenience, `{durationMs}` from now; `null` ends maintenance. */
    maintenance?: { untilEpochMs?: number; durationMs?: number } | null;
    /** Like `maintenance`, for the token endpoint's outage. */
    tokenOutage?: { untilEpochMs?: number; durationMs?: number } | null;
    /** Like `maintenance`, for the API holding requests without an answer. */
    unresponsive?: { untilEpochMs?: number; durationMs?: number } | null;
  };
};

/** Durations derived from the config, in real milliseconds. */
export interface DerivedTimings {
  /** The effective time scale. */
  timeScale: number;
  windowMs: number;
  penaltyInitialWaitMs: number;
  penaltyMaxWaitMs: number;
  accessTokenLifetimeMs: number;
  mintIntervalMs: number;
  refreshTokenLifetimeMs: number;
  batchStartDelayMs: number;
  batchMsPerItem: number;
}

/** Resources whose scopes exist (`<resource>.<read|write|delete|all>`). */
export const SCOPE_RESOURCES = ['prospects', 'accounts', 'sequences', 'mailboxes', 'sequenceStates', 'batches'];

/** The defaults: Outreach's documented limits, development credentials, no faults. */
export function defaultConfig(): SimulatorConfig {
  return {
    users: ['u1'],
    budget: 10_000,
    windowSeconds: 3600,
    mode: 'fixed',
    timeScale: null,
    rateLimitHeaders: true,
    resetHeader: 'epoch',
    retryAfter: 'delta',
    concurrencyCap: null,
    rejectedRequestsConsumeBudget: false,
    penalty: { enabled: false, initialWaitSeconds: 10, growthFactor: 1.5, maxWaitSeconds: 210 },
    oauth: {
      clientId: 'sim-client',
      clientSecret: 'sim-secret',
      accessTokenLifetimeSeconds: 7200,
      mintIntervalSeconds: 60,
      refreshTokenHistory: 100,
      refreshTokenLifetimeSeconds: 14 * 24 * 3600,
      maxLiveAccessTokens: 100,
      scopes: {},
    },
    resources: {
      seedAccounts: 3,
      seedSequences: 3,
      seedMailboxes: 2,
      seedProspects: 0,
      defaultPageSize: 50,
      maxPageSize: 1000,
      duplicateSequenceState: 'create',
    },
    batches: { startDelaySeconds: 2, secondsPerItem: 0.2, createStatus: 200, unlistedProspects: [] },
    faults: {
      latencyMs: 0,
      latencyJitterMs: 0,
      errorBurst: null,
      errorRate: 0,
      errorRateStatus: 500,
      slowResponseMs: 0,
      slowRate: 0,
      resetRate: 0,
      resetNext: 0,
      resetPhase: 'before',
      maintenance: null,
      tokenOutage: null,
      unresponsive: null,
      bare429Next: 0,
    },
  };
}

const nonNegative = z.number().finite().min(0);
const positive = z.number().finite().positive();
const probability = z.number().min(0).max(1);
const faultWindow = z
  .strictObject({ untilEpochMs: z.number().finite().optional(), durationMs: nonNegative.optional() })
  .nullable()
  .optional();
const faultStatus = z.union([z.literal(500), z.literal(502), z.literal(503)]);
const userName = z.string().regex(/^[A-Za-z0-9._@-]+$/, 'user names may use letters, digits and . _ @ -');

/** Validates a {@link SimulatorConfigPatch}; unknown keys are refused so typos do not pass silently. */
export const configPatchSchema = z.strictObject({
  users: z.array(userName).min(1).optional(),
  budget: z.number().int().positive().optional(),
  windowSeconds: positive.optional(),
  mode: z.enum(['fixed', 'leaky']).optional(),
  timeScale: positive.nullable().optional(),
  rateLimitHeaders: z.boolean().optional(),
  resetHeader: z.enum(['epoch', 'delta']).optional(),
  retryAfter: z.enum(['delta', 'epoch', 'http-date', 'none']).optional(),
  concurrencyCap: z.number().int().positive().nullable().optional(),
  rejectedRequestsConsumeBudget: z.boolean().optional(),
  penalty: z
    .strictObject({
      enabled: z.boolean().optional(),
      initialWaitSeconds: positive.optional(),
      growthFactor: z.number().finite().min(1).optional(),
      maxWaitSeconds: positive.optional(),
    })
    .optional(),
  oauth: z
    .strictObject({
      clientId: z.string().min(1).optional(),
      clientSecret: z.string().min(1).optional(),
      accessTokenLifetimeSeconds: positive.optional(),
      mintIntervalSeconds: nonNegative.optional(),
      refreshTokenHistory: z.number().int().positive().optional(),
      refreshTokenLifetimeSeconds: positive.optional(),
      maxLiveAccessTokens: z.number().int().positive().optional(),
      scopes: z.record(z.string(), z.array(z.string())).optional(),
    })
    .optional(),
  resources: z
    .strictObject({
      seedAccounts: z.number().int().min(0).optional(),
      seedSequences: z.number().int().min(0).optional(),
      seedMailboxes: z.number().int().min(0).optional(),
      seedProspects: z.number().int().min(0).optional(),
      defaultPageSize: z.number().int().positive().optional(),
      maxPageSize: z.number().int().positive().optional(),
      duplicateSequenceState: z.enum(['create', 'reject']).optional(),
    })
    .optional(),
  batches: z
    .strictObject({
      startDelaySeconds: nonNegative.optional(),
      secondsPerItem: nonNegative.optional(),
      createStatus: z.union([z.literal(200), z.literal(201)]).optional(),
      unlistedProspects: z.array(z.number().int().positive()).optional(),
    })
    .optional(),
  faults: z
    .strictObject({
      latencyMs: nonNegative.optional(),
      latencyJitterMs: nonNegative.optional(),
      errorBurst: z
        .strictObject({ status: faultStatus, count: z.number().int().min(0) })
        .nullable()
        .optional(),
      errorRate: probability.optional(),
      errorRateStatus: faultStatus.optional(),
      slowResponseMs: nonNegative.optional(),
      slowRate: probability.optional(),
      resetRate: probability.optional(),
      resetNext: z.number().int().min(0).optional(),
      resetPhase: z.enum(['before', 'after']).optional(),
      maintenance: faultWindow,
      tokenOutage: faultWindow,
      unresponsive: faultWindow,
      bare429Next: z.number().int().min(0).optional(),
    })
    .optional(),
});

/** Type-level check that the schema and {@link SimulatorConfigPatch} agree. */
const _schemaMatchesPatch: z.ZodType<SimulatorConfigPatch> = configPatchSchema;
void _schemaMatchesPatch;

/** A patch that failed validation, with one readable message per problem. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid simulator config: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/** Validates an untrusted patch (e.g. a `POST /__sim/config` body); throws {@link ConfigError}. */
export function parseConfigPatch(input: unknown): SimulatorConfigPatch {
  const result = configPatchSchema.safeParse(input);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`),
    );
  }
  return result.data;
}

/** Returns a new config with `patch` applied on top of `base`. `now` resolves the fault windows' `durationMs`. */
export function applyConfigPatch(base: SimulatorConfig, patch: SimulatorConfigPatch, now: number): SimulatorConfig {
  const { penalty, oauth, resources, batches, faults, ...top } = patch;
  const next: SimulatorConfig = {
    ...base,
    ...stripUndefined(top),
    penalty: { ...base.penalty, ...stripUndefined(penalty ?? {}) },
    oauth: { ...base.oauth, ...stripUndefined(oauth ?? {}) },
    resources: { ...base.resources, ...stripUndefined(resources ?? {}) },
    batches: { ...base.batches, ...stripUndefined(batches ?? {}) },
    faults: { ...base.faults },
  };
  if (faults) {
    const { maintenance, tokenOutage, unresponsive, ...rest } = faults;
    Object.assign(next.faults, stripUndefined(rest));
    const windows = { maintenance, tokenOutage, unresponsive };
    for (const name of FAULT_WINDOWS) {
      const window = windows[name];
      if (window === null) next.faults[name] = null;
      else if (window !== undefined)
        next.faults[name] = { untilEpochMs: window.untilEpochMs ?? now + (window.durationMs ?? 0) };
    }
  }
  next.users = [...new Set(next.users)];
  return next;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [key, entry] of Object.entries(value)) {
    if (entry !== undefined) (out as Record<string, unknown>)[key] = entry;
  }
  return out;
}

/** Real-millisecond durations for a config. */
export function deriveTimings(config: SimulatorConfig): DerivedTimings {
  const timeScale = config.timeScale ?? config.windowSeconds / 3600;
  const scaled = (seconds: number): number => seconds * 1000 * timeScale;
  return {
    timeScale,
    windowMs: config.windowSeconds * 1000,
    penaltyInitialWaitMs: scaled(config.penalty.initialWaitSeconds),
    penaltyMaxWaitMs: scaled(Math.max(config.penalty.maxWaitSeconds, config.penalty.initialWaitSeconds)),
    accessTokenLifetimeMs: scaled(config.oauth.accessTokenLifetimeSeconds),
    mintIntervalMs: scaled(config.oauth.mintIntervalSeconds),
    refreshTokenLifetimeMs: scaled(config.oauth.refreshTokenLifetimeSeconds),
    batchStartDelayMs: scaled(config.batches.startDelaySeconds),
    batchMsPerItem: scaled(config.batches.secondsPerItem),
  };
}
