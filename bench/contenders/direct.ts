import { sleep } from '../../local/sleep';

/**
 * What the contenders without the gate share: services that call Outreach directly over HTTP. Each service mints
 * its own token and shares it among its workers, performs an intent the way the dispatcher plans it (an upsert
 * looks up, then writes), decides retries on its own from what Outreach answered, and keeps no state shared with
 * any other service. Also: a fresh simulator per run, seeded like the gate's runs, and the figures read from it.
 */

import { lookupRequest, performRequest, upsertWriteRequest } from '../../lambdas/dispatcher/plan';
import { headerValue, parseRetryAfter } from '../../lambdas/gate/headers';
import { FetchOutreachApi, type OutreachReply, type OutreachRequest } from '../../lambdas/outreach/client';
import { type Intent, parseIntent } from '../../lambdas/shared/intent';
import { LANES } from '../../lambdas/shared/names';
import { resolveGateSettings } from '../../lib/settings';
import {
  developmentRefreshToken,
  type RunningSimulator,
  type SimulatorStats,
  startOutreachSimulator,
} from '../../local/outreach-sim';
import type { CooldownPoint, StatusCountPoint } from '../../local/report/types';
import { callsDuringCooldown, quantile, status429ByWindow, statusClass, withoutFailures } from '../../local/run';
import { gateSettingsInput, type Scenario, simulatorOptions } from '../../local/scenarios';
import { scorecardOfOutcomes, successfulRequests } from '../scorecard';
import { bulkEnrolments } from '../targets';
import type { ContenderResult } from '../types';

/** The OAuth client of the simulator's development credentials. */
export const SIMULATOR_CLIENT = { clientId: 'sim-client', clientSecret: 'sim-secret' } as const;

/** How a direct caller retries, in wall ms. */
export interface RetryPolicy {
  /** First backoff step (full jitter: a random wait up to base × 2^(attempt − 1), at most `maxMs`). */
  readonly baseMs: number;
  readonly maxMs: number;
  /** Attempts of one request that failed with a 5xx or no answer before giving up. */
  readonly maxFailureAttempts: number;
}

/** What to do after an answer that was not a success. */
export type RetryDecision =
  | { readonly retry: true; readonly waitMs: number; readonly because: 'retry-after' | 'backoff' }
  | { readonly retry: false; readonly reason: string };

/** The retry policy of a scenario's services: the gate's own backoff settings, compressed like the hour. */
export function retryPolicyFor(scenario: Scenario): RetryPolicy {
  const { retries } = resolveGateSettings(gateSettingsInput(scenario)).gate;
  return {
    baseMs: retries.backoffBaseMs / scenario.timeScale,
    maxMs: retries.backoffMaxMs / scenario.timeScale,
    maxFailureAttempts: retries.maxFailureAttempts,
  };
}

/** A full-jitter backoff wait for the `attempt`-th try (1-based). */
export function backoffMs(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  return random() * Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
}

/**
 * What a service does after `reply` to its `attempt`-th try of one request, with no knowledge of anyone else:
 * a 429 waits what its Retry-After says (delta-seconds, epoch seconds or an HTTP-date; when absent or already
 * past, an exponential backoff) and is retried for as long as it takes; a 5xx or no answer is retried blindly
 * with backoff up to the policy's attempts (a create may then happen twice); any other status gives up. Pure
 * apart from `random`.
 */
export function retryDecision(
  reply: OutreachReply,
  attempt: number,
  now: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): RetryDecision {
  if (reply.kind === 'response' && reply.status === 429) {
    const until = parseRetryAfter(headerValue(reply.headers, 'retry-after'), now);
    if (until !== undefined && until > now) return { retry: true, waitMs: until - now, because: 'retry-after' };
    return { retry: true, waitMs: backoffMs(attempt, policy, random), because: 'backoff' };
  }
  const failure = reply.kind === 'no-response' ? `no answer (${reply.reason})` : `HTTP ${reply.status}`;
  if (reply.kind === 'no-response' || reply.status >= 500) {
    if (attempt < policy.maxFailureAttempts) {
      return { retry: true, waitMs: backoffMs(attempt, policy, random), because: 'backoff' };
    }
    return { retry: false, reason: `${failure} on ${attempt} attempts` };
  }
  return { retry: false, reason: failure };
}

/** Raised by a request function when an intent cannot be completed; the message is the reason. */
export class GiveUpError extends Error {
  override readonly name = 'GiveUpError';
}

/** Sends one request (with whatever retries the contender makes) and resolves with the final 2xx answer. */
export type CallOutreach = (user: string, request: OutreachRequest) => Promise<OutreachReply & { kind: 'response' }>;

/** Performs one intent through `call`: one request, or for an upsert a look-up and then a create or update. */
export async function performIntent(intent: Intent, call: CallOutreach): Promise<void> {
  if (intent.operation.type !== 'prospect.upsert') {
    await call(intent.user, performRequest(intent));
    return;
  }
  const lookup = lookupRequest(intent) as OutreachRequest;
  const found = await call(intent.user, lookup);
  const first = (found.body as { data?: Array<{ id?: unknown }> } | undefined)?.data?.[0]?.id;
  const existing = first === undefined ? undefined : Number(first);
  await call(intent.user, upsertWriteRequest(intent, Number.isInteger(existing) ? existing : undefined));
}

/** A validated intent from a scheduled workload item. */
export const toIntent = (input: Scenario['workload'][number]['intent']): Intent => parseIntent({ v: 1, ...input });

/**
 * One service's access tokens, one per user: minted once and shared by its workers, minted again only when
 * Outreach refuses the token (401). A refused mint (one per user per interval) is retried with backoff.
 */
export class ServiceTokens {
  private readonly tokens = new Map<string, Promise<string>>();
  private readonly refreshTokens = new Map<string, string>();

  constructor(
    private readonly tokenUrl: string,
    private readonly policy: RetryPolicy,
    private readonly signal: AbortSignal,
  ) {}

  /** The current token for `user`, minting it if there is none. */
  get(user: string): Promise<string> {
    const current = this.tokens.get(user);
    if (current !== undefined) return current;
    const minted = this.mint(user);
    this.tokens.set(user, minted);
    minted.catch(() => this.tokens.delete(user));
    return minted;
  }

  /** Outreach refused `token`: mint a new one unless another worker already did. */
  refresh(user: string, token: string): Promise<string> {
    const current = this.tokens.get(user);
    if (current !== undefined) {
      return current.then((value) => (value === token ? this.replace(user) : value));
    }
    return this.get(user);
  }

  private replace(user: string): Promise<string> {
    this.tokens.delete(user);
    return this.get(user);
  }

  private async mint(user: string): Promise<string> {
    for (let attempt = 1; ; attempt += 1) {
      if (this.signal.aborted) throw new GiveUpError('stopped before a token was minted');
      const response = await fetch(this.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          client_id: SIMULATOR_CLIENT.clientId,
          client_secret: SIMULATOR_CLIENT.clientSecret,
          refresh_token: this.refreshTokens.get(user) ?? developmentRefreshToken(user),
        }),
      });
      if (response.ok) {
        const body = (await response.json()) as { access_token?: unknown; refresh_token?: unknown };
        if (typeof body.refresh_token === 'string') this.refreshTokens.set(user, body.refresh_token);
        if (typeof body.access_token === 'string') return body.access_token;
        throw new GiveUpError(`token answer for ${user} has no access_token`);
      }
      await response.text();
      if (response.status !== 429 && response.status < 500) {
        throw new GiveUpError(`token mint for ${user} refused: HTTP ${response.status}`);
      }
      const until = parseRetryAfter(headerValue(response.headers, 'retry-after'), Date.now());
      await sleep(until !== undefined ? until - Date.now() : backoffMs(attempt, this.policy), this.signal);
    }
  }
}

/** The Outreach API of a simulator, with the gate's upstream timeout. */
export function outreachApi(simulator: RunningSimulator, scenario: Scenario): FetchOutreachApi {
  const timeoutMs = resolveGateSettings(gateSettingsInput(scenario)).gate.outreach.requestTimeoutMs;
  return new FetchOutreachApi({ baseUrl: simulator.apiBaseUrl, timeoutMs });
}

/**
 * Starts a fresh simulator configured like the scenario's gate runs, with its seed prospects (ids 1…n), then
 * switches the scenario's faults on.
 */
export async function startSeededSimulator(scenario: Scenario): Promise<RunningSimulator> {
  // The scenario's faults (an error burst, random failures) start with the workload, as in the gate's run.
  const simulator = await startOutreachSimulator(withoutFailures(simulatorOptions(scenario)));
  try {
    const { faults } = scenario.simulator;
    if (faults !== undefined) simulator.configure({ faults });
    return simulator;
  } catch (error) {
    await simulator.stop();
    throw error;
  }
}

/** What happened to one intent of a direct run. */
export interface IntentOutcome {
  readonly lane: string;
  /** The operation's type (`sequenceState.create`…). */
  readonly operation: string;
  /** The producer (service) that enqueued it. */
  readonly producer: string;
  /** Wall ms the intent was due (its producer enqueued it). */
  readonly dueAt: number;
  /** Wall ms it settled (succeeded or given up on), or null when still open at the end. */
  settledAt: number | null;
  status: 'open' | 'succeeded' | 'failed';
  reason?: string;
}

/** The upstream figures of a run from the simulator's stats, for the scenario's users, in simulated time. */
export interface UpstreamFigures {
  readonly upstreamCalls: number;
  /** Requests Outreach answered 2xx. */
  readonly successfulRequests: number;
  readonly status429: number;
  readonly max429PerUserWindow: number;
  readonly status429ByUserWindow: Record<string, number[]>;
  readonly callsDuringCooldown: number | null;
  readonly firstRetryAfterMs: number | null;
  readonly maxRetryAfterMs: number | null;
  readonly maxInFlight: number;
  readonly duplicatesCreated: number;
  readonly upstreamPerSecond: StatusCountPoint[];
  readonly cooldowns: CooldownPoint[];
}

/**
 * Reads what Outreach saw from the simulator's stats: counts for the scenario's users (the seeding user left out),
 * 429s per user per window counted from `startedAt`, the Retry-After values announced and the per-second
 * timeline, all turned into simulated ms since `startedAt`. Pure.
 */
export function upstreamFigures(stats: SimulatorStats, scenario: Scenario, startedAt: number): UpstreamFigures {
  const { timeScale } = scenario;
  const users = scenario.settings.users.flatMap((user) => (stats.users[user] ? [stats.users[user]] : []));
  const simulated = (epochMs: number) => Math.max(0, (epochMs - startedAt) * timeScale);
  const perSecond = new Map<string, StatusCountPoint>();
  for (const user of users) {
    for (const entry of user.timeline) {
      const wallMs = entry.second * 1000;
      if (wallMs < startedAt - 1000) continue;
      const t = simulated(wallMs);
      for (const [status, count] of Object.entries(entry.byStatus)) {
        const key = `${t}:${statusClass(status)}`;
        const point = perSecond.get(key) ?? { t, status: statusClass(status), count: 0 };
        point.count += count;
        perSecond.set(key, point);
      }
    }
  }
  const status429ByUserWindow = status429ByWindow(stats, scenario, startedAt);
  const announced = users
    .flatMap((user) => user.cooldowns)
    .filter((cooldown) => cooldown.at >= startedAt)
    .sort((a, b) => a.at - b.at);
  const retryAfters = announced
    .filter((cooldown) => cooldown.retryAfterHeader !== null)
    .map((cooldown) => cooldown.waitMs * timeScale);
  return {
    upstreamCalls: users.reduce((sum, user) => sum + user.requests, 0),
    successfulRequests: users.reduce((sum, user) => sum + successfulRequests(user.byStatus), 0),
    status429: users.reduce((sum, user) => sum + user.status429, 0),
    max429PerUserWindow: Math.max(0, ...Object.values(status429ByUserWindow).flat()),
    status429ByUserWindow,
    callsDuringCooldown: callsDuringCooldown(stats, scenario.settings.users),
    firstRetryAfterMs: retryAfters[0] ?? null,
    maxRetryAfterMs: retryAfters.length > 0 ? Math.max(...retryAfters) : null,
    maxInFlight: Math.max(0, ...users.map((user) => user.peakInFlight)),
    duplicatesCreated: users.reduce((sum, user) => sum + user.duplicatesCreated, 0),
    upstreamPerSecond: [...perSecond.values()].sort((a, b) => a.t - b.t),
    cooldowns: announced.map((cooldown) => ({
      t: simulated(cooldown.at),
      user: cooldown.user,
      waitMs: cooldown.waitMs * timeScale,
    })),
  };
}

/** Waits per lane (p50, p99, count) of the given waits, simulated ms. */
export function laneWaits(
  waitsByLane: Readonly<Record<string, readonly number[]>>,
): Record<string, { p50: number; p99: number; count: number }> {
  return Object.fromEntries(
    Object.entries(waitsByLane).map(([lane, waits]) => [
      lane,
      { p50: quantile(waits, 0.5), p99: quantile(waits, 0.99), count: waits.length },
    ]),
  );
}

/** A direct contender's result from its intents' outcomes and the simulator's stats. Pure. */
export function directResult(
  contender: ContenderResult['contender'],
  scenario: Scenario,
  input: {
    readonly outcomes: readonly IntentOutcome[];
    readonly stats: SimulatorStats;
    readonly startedAt: number;
    /** Wall ms the run stopped waiting. */
    readonly endedAt: number;
    readonly wallMs: number;
  },
): ContenderResult {
  const { outcomes, startedAt, endedAt } = input;
  const { timeScale } = scenario;
  const open = outcomes.filter((outcome) => outcome.status === 'open').length;
  const lastSettled = outcomes.reduce((last, outcome) => Math.max(last, outcome.settledAt ?? startedAt), startedAt);
  const waitsByLane: Record<string, number[]> = Object.fromEntries(LANES.map((lane) => [lane, []]));
  for (const outcome of outcomes) {
    if (outcome.status !== 'succeeded' || outcome.settledAt === null) continue;
    const waits = waitsByLane[outcome.lane] ?? [];
    waits.push((outcome.settledAt - outcome.dueAt) * timeScale);
    waitsByLane[outcome.lane] = waits;
  }
  const upstream = upstreamFigures(input.stats, scenario, startedAt);
  const clearanceMs = ((open > 0 ? endedAt : lastSettled) - startedAt) * timeScale;
  return {
    contender,
    intents: outcomes.length,
    clearanceMs,
    succeeded: outcomes.filter((outcome) => outcome.status === 'succeeded').length,
    failed: outcomes.filter((outcome) => outcome.status === 'failed').length,
    lost: open,
    duplicatesCreated: upstream.duplicatesCreated,
    upstreamCalls: upstream.upstreamCalls,
    status429: upstream.status429,
    max429PerUserWindow: upstream.max429PerUserWindow,
    status429ByUserWindow: upstream.status429ByUserWindow,
    callsDuringCooldown: upstream.callsDuringCooldown,
    bulkEnrolments: bulkEnrolments(outcomes, { startedAt, timeScale }),
    firstRetryAfterMs: upstream.firstRetryAfterMs,
    maxRetryAfterMs: upstream.maxRetryAfterMs,
    maxInFlight: upstream.maxInFlight,
    inFlightCap: scenario.settings.inFlightCap,
    waitsMs: laneWaits(waitsByLane),
    dynamodbRequestsPerIntent: 0,
    aws: null,
    series: { upstreamPerSecond: upstream.upstreamPerSecond, cooldowns: upstream.cooldowns },
    wallMs: input.wallMs,
    scorecard: scorecardOfOutcomes(outcomes, {
      startedAt,
      endedAt,
      timeScale,
      status429: upstream.status429,
      successfulRequests: upstream.successfulRequests,
      clearanceMs,
    }),
  };
}

/** The scenario's services: each producer's intents in enqueue order. */
export function servicesOf(scenario: Scenario): Map<string, Scenario['workload'][number][]> {
  const services = new Map<string, Scenario['workload'][number][]>();
  for (const item of scenario.workload) services.set(item.producer, [...(services.get(item.producer) ?? []), item]);
  return services;
}
