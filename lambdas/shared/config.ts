import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { MAX_BULK_PROSPECT_IDS } from './intent';
import { metricsNamespaceProblem } from './metrics-namespace';
import { ENV, LANES, type Lane } from './names';
import { compileRequestPolicy, RequestPolicyError } from './request-policy';

/** Time an invocation keeps after an upstream request for settling the record (DynamoDB and SQS writes). */
export const SETTLE_MARGIN_MS = 2000;

/**
 * Time an invocation needs before its first upstream request (claiming the record, the token, the admission).
 * A dispatcher timeout without it would give every record back unstarted, for ever.
 */
export const START_MARGIN_MS = 1000;

/**
 * The dispatcher's runtime configuration: every limit the gate enforces comes from here or from what
 * Outreach tells us, never from constants in code. The stack serialises it into {@link ENV.config};
 * the local runner builds the same object from the same settings.
 */
export const gateConfigSchema = z.strictObject({
  /** Schema version of this object, bumped on incompatible changes. */
  version: z.literal(1),
  /**
   * Outreach users the gate may act as. An intent naming any other user is dead-lettered. Deployed in the users
   * file ({@link ENV.usersFile}), not in the environment, so that hundreds of users fit.
   */
  users: z.array(z.string().min(1)).min(1),
  outreach: z.strictObject({
    /** Base URL of the REST API, e.g. `https://api.outreach.io/api/v2`. */
    baseUrl: z.url(),
    /** OAuth token endpoint, e.g. `https://api.outreach.io/oauth/token`. */
    tokenUrl: z.url(),
    /** Client-side timeout of one upstream request. */
    requestTimeoutMs: z.number().int().positive(),
    /** Shortest interval between two token mints for one user (Outreach allows one a minute). */
    minMintIntervalMs: z.number().int().nonnegative(),
  }),
  budget: z.strictObject({
    /**
     * How Outreach refills the budget: `fixed-window` (the likeliest reading of its docs: spend what remains as
     * fast as leases allow, then wait for the reset) or `leaky-bucket` (pace at the leak rate).
     */
    refill: z.enum(['fixed-window', 'leaky-bucket']),
    /** Requests per window per user before Outreach learns us otherwise (Outreach: 10,000). */
    limitPerWindow: z.number().int().positive(),
    /** Window length in seconds (Outreach: 3,600). */
    windowSeconds: z.number().positive(),
    /**
     * Share of the configured limit spent while neither Outreach's headers nor a 429 have told us the limit
     * (0 < m ≤ 1): a window that spends it without a 429 earns the configured limit; the first 429 of a window
     * teaches the limit, probed 1 % higher a request at a time after a window (see `lambdas/gate/limits.ts`).
     */
    safetyMargin: z.number().gt(0).lte(1),
    /**
     * Most of each window's budget only `critical` may spend: the gate holds back what critical is projected to
     * need for the rest of the window at its observed rate (see `heldReserve`), never more than this share.
     */
    criticalReserve: z.number().gte(0).lt(1),
    /** How long before the reset whatever remains of the critical reserve is released to the other lanes. */
    reserveReleaseMs: z.number().int().nonnegative(),
    /** Margin added after a reported reset before spending the new window (Reset has one-second resolution). */
    resetSkewMs: z.number().int().nonnegative(),
  }),
  leases: z.strictObject({
    /** Most upstream requests in flight per user across every dispatcher instance. */
    inFlightCap: z.number().int().positive(),
    /** Leases only `critical` may take. Must leave at least one lease for the other lanes. */
    criticalReserve: z.number().int().nonnegative(),
    /** A lease not released by then is free again (a dispatcher that died cannot wedge the gate). */
    ttlMs: z.number().int().positive(),
  }),
  cooldown: z.strictObject({
    /** Wait used when a 429 carries no usable Retry-After or X-RateLimit-Reset. */
    defaultWaitMs: z.number().int().positive(),
    /**
     * Cap of the cool-down after repeated 429s that say nothing about how long to wait: each one in a row
     * doubles the previous ceiling (full jitter, never below `defaultWaitMs`) up to this.
     * @default 16 × defaultWaitMs
     */
    maxEscalatedWaitMs: z.number().int().positive().optional(),
    /**
     * A stretch this long after a cool-down with no 429 ends the escalation, and each one raises a lowered
     * in-flight limit by one lease (additive increase after the ×0.5 on a 429).
     * @default defaultWaitMs
     */
    quietWindowMs: z.number().int().positive().optional(),
  }),
  timing: z.strictObject({
    /**
     * Longest wait a response header may impose (Retry-After, X-RateLimit-Reset). A later time is clamped to it,
     * logged and counted: a garbled header must never stall a user for years.
     */
    maxHeaderWaitMs: z.number().int().positive(),
    /**
     * Largest difference assumed between two clocks (Lambdas, Outreach). Every comparison of a time written by
     * another process (cool-down, lease expiry, mint spacing, budget reset) allows it in the safe direction.
     */
    clockSkewMs: z.number().int().nonnegative(),
  }),
  circuitBreaker: z.strictObject({
    /** Consecutive 5xx/timeouts for one user that open the circuit. */
    failureThreshold: z.number().int().positive(),
    /** How long the circuit stays open before one probe is let through. */
    openMs: z.number().int().positive(),
  }),
  retries: z.strictObject({
    /** Failed attempts (not deferrals) after which an intent is dead-lettered. */
    maxFailureAttempts: z.number().int().positive(),
    /** Full-jitter backoff: base and cap of the exponential. */
    backoffBaseMs: z.number().int().positive(),
    backoffMaxMs: z.number().int().positive(),
    /**
     * An intent is dead-lettered for failures only once it has failed `maxFailureAttempts` times AND its first
     * counted failure is at least this old: an upstream outage shorter than the window heals by itself.
     * @default 0 (the count alone decides)
     */
    failureWindowMs: z.number().int().nonnegative().optional(),
  }),
  deferral: z.strictObject({
    /** Waits up to this long are slept in-process; longer ones put the message back on its queue. */
    maxInProcessWaitMs: z.number().int().nonnegative(),
    /** Random spread added to each deferral so deferred intents do not come back in lockstep. */
    jitterMs: z.number().int().nonnegative(),
    /**
     * A message deferred this many times is sent again as a new message, so SQS's maxReceiveCount (which counts
     * deferrals too) can never dead-letter an intent that was only waiting.
     */
    recycleAtReceiveCount: z.number().int().positive(),
  }),
  intents: z.strictObject({
    /** How long a settled intent's record (and result) is kept for `getResult` and de-duplication. */
    recordTtlSeconds: z.number().int().positive(),
  }),
  /**
   * Coalescing of bulk-lane enrolments (`sequenceState.create`) into one Outreach bulk action
   * (`prospectsAddToSequence`): one request enrols up to `maxSize` prospects. See coalescing.ts.
   * @default - off (a configuration written before coalescing existed); the settings turn it on
   */
  coalescing: z
    .strictObject({
      /** Whether bulk-lane enrolments are gathered into bulk actions. */
      enabled: z.boolean(),
      /** Most enrolments in one bulk action. */
      maxSize: z.number().int().positive().max(MAX_BULK_PROSPECT_IDS),
      /** How long the first enrolment of a batch waits for others (the gathering window). */
      maxAgeMs: z.number().int().positive(),
      /**
       * How long a gathered enrolment's record stays owned by its batch (and its message hidden): longer than the
       * batch can be worked on, so a re-received copy never performs it while the batch may still.
       */
      parkMs: z.number().int().positive(),
    })
    .optional(),
  /**
   * What the generic `request` operation may do: rules such as `GET /prospects/*`, `default` standing for the
   * built-in list (see `request-policy`). Kept as written, so the default costs a few bytes of environment.
   * @default - the built-in policy
   */
  requestPolicy: z
    .array(z.string())
    .superRefine((rules, ctx) => {
      try {
        compileRequestPolicy(rules);
      } catch (error) {
        if (!(error instanceof RequestPolicyError)) throw error;
        ctx.addIssue({ code: 'custom', message: error.message });
      }
    })
    .optional(),
});

/** The dispatcher's runtime configuration. */
export type GateConfig = z.infer<typeof gateConfigSchema>;

/** Cap of the escalating cool-down after 429s without a stated wait (16 × the default wait unless set). */
export function maxEscalatedWaitMs(config: Pick<GateConfig, 'cooldown'>): number {
  return config.cooldown.maxEscalatedWaitMs ?? 16 * config.cooldown.defaultWaitMs;
}

/** The 429-free stretch that ends an escalation and raises a lowered in-flight limit (the default wait unless set). */
export function quietWindowMs(config: Pick<GateConfig, 'cooldown'>): number {
  return config.cooldown.quietWindowMs ?? config.cooldown.defaultWaitMs;
}

/** Where one lane's queues live, as the dispatcher needs them. */
export const laneEndpointSchema = z.strictObject({
  queueUrl: z.string().min(1),
  queueArn: z.string().min(1),
  deadLetterQueueUrl: z.string().min(1),
});

/** Every lane's queue URLs and ARNs, keyed by lane. */
export const laneEndpointsSchema = z.strictObject(
  Object.fromEntries(LANES.map((lane) => [lane, laneEndpointSchema])) as Record<Lane, typeof laneEndpointSchema>,
);

/** Every lane's queue URLs and ARNs, keyed by lane. */
export type LaneEndpoints = z.infer<typeof laneEndpointsSchema>;

/** What the dispatcher reads from its environment at cold start. */
export interface DispatcherEnvironment {
  readonly tableName: string;
  readonly lanes: LaneEndpoints;
  readonly config: GateConfig;
  readonly appSecretArn: string;
  /** Name prefix of the users' refresh-token secrets (see {@link refreshTokenSecretName}). */
  readonly refreshTokenSecretPrefix: string;
  /** EventBridge bus (name or ARN) for completion events; undefined when they are off. */
  readonly completionEventBus?: string;
  /** The gate's CloudWatch namespace, where its metrics are published. */
  readonly metricsNamespace: string;
}

/** Raised at cold start when the environment is missing or malformed; the message names the variable. */
export class EnvironmentError extends Error {
  override readonly name = 'EnvironmentError';
}

/**
 * What an Outreach user's name may be: it names the user's refresh-token secret (`<prefix>/<user>`), its metric
 * dimension and its resources' ids, so it keeps to characters all of them accept.
 */
export const USER_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;

/** Why `user` is not a valid Outreach user name, or undefined when it is. Pure. */
export function userNameProblem(user: unknown): string | undefined {
  if (typeof user === 'string' && USER_NAME_PATTERN.test(user)) return undefined;
  return `Outreach user name ${JSON.stringify(user)} must be 1–64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit`;
}

/** Every problem of a list of user names (invalid names, duplicates, none at all); empty when there is none. Pure. */
export function userListProblems(users: readonly unknown[]): string[] {
  if (users.length === 0) return ['at least one Outreach user must be named'];
  const problems: string[] = [];
  const seen = new Set<unknown>();
  for (const user of users) {
    const problem = userNameProblem(user);
    if (problem !== undefined) problems.push(problem);
    else if (seen.has(user)) problems.push(`Outreach user "${String(user)}" is listed twice`);
    seen.add(user);
  }
  return problems;
}

/** The secret holding `user`'s refresh token: `<prefix>/<user>`, so one IAM statement on `<prefix>/*` covers them all. */
export function refreshTokenSecretName(prefix: string, user: string): string {
  return `${prefix}/${user}`;
}

/**
 * The users file: every Outreach user the gate acts as. The stack ships it in a Lambda layer (its path in
 * {@link ENV.usersFile}); the local runner writes the same file. One file, not the environment, because
 * Lambda caps a function's environment at 4 KB and 200 users' names alone can exceed it.
 */
export const usersFileSchema = z.strictObject({
  /** Schema version of the file, bumped on incompatible changes. */
  version: z.literal(1),
  users: z.array(z.string()).superRefine((users, ctx) => {
    for (const message of userListProblems(users)) ctx.addIssue({ code: 'custom', message });
  }),
});

/** The users file's content. */
export type UsersFile = z.infer<typeof usersFileSchema>;

/** The users file's text for `users` (what the stack deploys and the local runner writes). */
export function usersFileText(users: readonly string[]): string {
  const file: UsersFile = { version: 1, users: [...users] };
  return `${JSON.stringify(file)}\n`;
}

/** The runtime configuration as the environment carries it: everything but the users (they are in the users file). */
export const environmentConfigSchema = gateConfigSchema.omit({ users: true });

/** The value of {@link ENV.config} for `config`: the configuration without its users. */
export function environmentConfigText(config: GateConfig): string {
  const { users: _users, ...rest } = config;
  return JSON.stringify(rest);
}

function requireVar(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') {
    throw new EnvironmentError(`environment variable ${name} is not set`);
  }
  return value;
}

function parseJsonVar<T>(env: NodeJS.ProcessEnv, name: string, schema: z.ZodType<T>): T {
  return parseJson(requireVar(env, name), `environment variable ${name}`, schema);
}

function parseJson<T>(raw: string, what: string, schema: z.ZodType<T>): T {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    throw new EnvironmentError(`${what} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new EnvironmentError(`${what} is invalid: ${issues}`);
  }
  return parsed.data;
}

/** Reads and validates the users file named by {@link ENV.usersFile}; throws {@link EnvironmentError} naming the problem. */
export function readUsersFile(env: NodeJS.ProcessEnv = process.env): string[] {
  const path = requireVar(env, ENV.usersFile);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new EnvironmentError(
      `the users file ${path} (environment variable ${ENV.usersFile}) cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  return parseJson(text, `the users file ${path}`, usersFileSchema).users;
}

/**
 * The runtime configuration from {@link ENV.config} (without users) and the users file: what the dispatcher and
 * the monitor read at cold start. Throws {@link EnvironmentError} naming the variable, file or field that is wrong.
 */
export function readGateConfig(env: NodeJS.ProcessEnv = process.env): GateConfig {
  const config = parseJsonVar(env, ENV.config, environmentConfigSchema);
  return checkGateConfig({ ...config, users: readUsersFile(env) });
}

/** Validates the cross-field rules zod's per-field checks cannot express. */
export function checkGateConfig(config: GateConfig): GateConfig {
  if (config.leases.criticalReserve >= config.leases.inFlightCap) {
    throw new EnvironmentError(
      `leases.criticalReserve (${config.leases.criticalReserve}) must be below leases.inFlightCap (${config.leases.inFlightCap}) so the other lanes keep at least one lease`,
    );
  }
  const { defaultWaitMs, maxEscalatedWaitMs } = config.cooldown;
  if (maxEscalatedWaitMs !== undefined && maxEscalatedWaitMs < defaultWaitMs) {
    throw new EnvironmentError(
      `cooldown.maxEscalatedWaitMs (${maxEscalatedWaitMs}) must not be below cooldown.defaultWaitMs (${defaultWaitMs})`,
    );
  }
  if (config.retries.backoffBaseMs > config.retries.backoffMaxMs) {
    throw new EnvironmentError(
      `retries.backoffBaseMs (${config.retries.backoffBaseMs}) must not exceed retries.backoffMaxMs (${config.retries.backoffMaxMs})`,
    );
  }
  return config;
}

/** Parses and validates a runtime configuration object, failing with a message that names the bad field. */
export function parseGateConfig(value: unknown): GateConfig {
  const parsed = gateConfigSchema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new EnvironmentError(`invalid gate configuration: ${issues}`);
  }
  return checkGateConfig(parsed.data);
}

/** Reads and validates the dispatcher's environment; throws {@link EnvironmentError} naming what is wrong. */
export function readDispatcherEnvironment(env: NodeJS.ProcessEnv = process.env): DispatcherEnvironment {
  return {
    tableName: requireVar(env, ENV.tableName),
    lanes: parseJsonVar(env, ENV.lanes, laneEndpointsSchema),
    config: readGateConfig(env),
    appSecretArn: requireVar(env, ENV.appSecretArn),
    refreshTokenSecretPrefix: secretPrefix(requireVar(env, ENV.refreshTokenSecretPrefix)),
    ...(env[ENV.completionEventBus]?.trim() ? { completionEventBus: env[ENV.completionEventBus]?.trim() } : {}),
    metricsNamespace: readMetricsNamespace(env),
  };
}

/**
 * The gate's CloudWatch namespace ({@link ENV.metricsNamespace}), required: without it Powertools would publish
 * every metric to a default namespace no alarm reads. Throws {@link EnvironmentError} naming what is wrong.
 */
export function readMetricsNamespace(env: NodeJS.ProcessEnv = process.env): string {
  const value = requireVar(env, ENV.metricsNamespace);
  const problem = metricsNamespaceProblem(value);
  if (problem !== undefined) {
    throw new EnvironmentError(`environment variable ${ENV.metricsNamespace} is invalid: ${problem}`);
  }
  return value;
}

function secretPrefix(value: string): string {
  const problem = secretPrefixProblem(value);
  if (problem !== undefined) {
    throw new EnvironmentError(`environment variable ${ENV.refreshTokenSecretPrefix} is invalid: ${problem}`);
  }
  return value;
}

/** A refresh-token secret prefix: Secrets Manager name characters, no trailing '/', room for a user name. */
export const SECRET_PREFIX_PATTERN = /^[A-Za-z0-9_+=.@-]+(?:\/[A-Za-z0-9_+=.@-]+)*$/;

/** Why `prefix` cannot prefix the refresh-token secrets' names. Pure. */
export function secretPrefixProblem(prefix: string): string | undefined {
  if (SECRET_PREFIX_PATTERN.test(prefix) && prefix.length <= 512 - 65) return undefined;
  return `refresh-token secret prefix "${prefix}" must be Secrets Manager name characters (letters, digits, /_+=.@-) in '/'-separated parts, without a leading or trailing '/', and at most 447 characters`;
}

let cached: DispatcherEnvironment | undefined;

/** The dispatcher's environment, read once per cold start. Fails fast on the first call if it is invalid. */
export function dispatcherEnvironment(): DispatcherEnvironment {
  cached ??= readDispatcherEnvironment();
  return cached;
}
