/**
 * Named workloads for a local run and the benchmark: the gate's settings, how the Outreach simulator behaves, how
 * much an hour is compressed, and which intents producers enqueue when. Every scenario is a pure description:
 * the same name, seed, users and time scale always give the same intents at the same simulated times.
 *
 * Outreach's window stays an hour of SIMULATED time; `timeScale` (simulated ms per wall ms) compresses it, and the
 * budgets are scaled so that Outreach's limit binds at tens of requests per wall-clock second per user, well
 * below what the local emulators can carry (see DESIGN, "Capacity of the local world").
 */

import type { Lane } from '../lambdas/shared/names';
import type { IntentInput } from '../lib/client';
import type { GateSettingsInput, LaneOptions } from '../lib/settings';
import type { SimulatorConfigPatch } from './outreach-sim';

/** The names of the built-in scenarios; `demo` is the default. */
export const SCENARIO_NAMES = [
  'demo',
  'smoke',
  'seed-002',
  'bulk-and-urgent',
  'unknown-limits',
  'flaky-upstream',
  'many-users',
  'bulk-enrol',
] as const;

/** One built-in scenario's name. */
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

/** True when `value` names a built-in scenario. */
export function isScenarioName(value: string): value is ScenarioName {
  return (SCENARIO_NAMES as readonly string[]).includes(value);
}

/** Outreach's window: an hour, in simulated seconds. */
export const OUTREACH_WINDOW_SECONDS = 3600;

/**
 * A simulator user no workload may use: the chaos run creates its seed prospects through it, on a budget of its
 * own, so the workload's users start with their whole budget.
 */
export const SEED_USER = 'sim-seeder';

/** One intent of the workload and when its producer enqueues it. */
export interface ScheduledIntent {
  /** Simulated ms from the start of the run. */
  readonly atMs: number;
  /** The producer that enqueues it; each producer has a client of its own. */
  readonly producer: string;
  readonly intent: IntentInput;
}

/** The gate's side of a scenario; turned into the stack's settings by {@link gateSettingsInput}. */
export interface ScenarioSettings {
  readonly users: readonly string[];
  /** Requests per window per user, as the simulator enforces and the gate is configured with. */
  readonly budgetPerWindow: number;
  /** Window length in simulated seconds (an hour, like Outreach). */
  readonly windowSimulatedSeconds: number;
  readonly refill: 'fixed-window' | 'leaky-bucket';
  readonly inFlightCap: number;
  readonly lanes: Readonly<Record<Lane, LaneOptions>>;
}

/** A named, fully described workload. */
export interface Scenario {
  readonly name: ScenarioName;
  /** One line on what it shows. */
  readonly summary: string;
  /** The seed the workload was generated from. */
  readonly seed: number;
  /** Simulated ms per wall-clock ms (120: an hour in 30 seconds). */
  readonly timeScale: number;
  readonly settings: ScenarioSettings;
  /**
   * How the simulator behaves beyond the budget (latency in wall ms, headers, Retry-After form, penalty mode,
   * faults). Users, budget, window and refill mode come from {@link Scenario.settings}.
   */
  readonly simulator: SimulatorConfigPatch;
  /**
   * Prospects that exist before the workload starts (ids 1…n, e-mails `seed-<n>@example.com`): the simulator
   * creates them at start-up (`resources.seedProspects`), spending no user's budget.
   */
  readonly seedProspects: number;
  /** The intents, ordered by enqueue time. */
  readonly workload: readonly ScheduledIntent[];
}

/** What may be changed when building a scenario. */
export interface ScenarioOptions {
  /** Seed of the workload generator. @default 1 */
  readonly seed?: number;
  /** Outreach users to spread the workload over. @default - the scenario's own */
  readonly users?: readonly string[];
  /** Simulated ms per wall ms. @default - the scenario's own */
  readonly timeScale?: number;
}

/** Raised for a scenario that cannot be built; the message names the option. */
export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** Outreach e-mail of seeded prospect `n` (id `n`). */
export const seedProspectEmail = (n: number): string => `seed-${n}@example.com`;

/** A small, fast, seedable random source (mulberry32), so workloads are reproducible. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const pick = <T>(random: () => number, values: readonly T[]): T =>
  values[Math.min(values.length - 1, Math.floor(random() * values.length))] as T;

/** The scenario's settings as the stack's settings input, with the window compressed by the time scale. */
export function gateSettingsInput(scenario: Scenario): GateSettingsInput {
  const { settings, timeScale } = scenario;
  return {
    outreachUsers: [...settings.users],
    budgetPerWindow: settings.budgetPerWindow,
    budgetWindowSeconds: settings.windowSimulatedSeconds / timeScale,
    budgetRefill: settings.refill,
    inFlightCap: settings.inFlightCap,
    lanes: settings.lanes,
  };
}

/**
 * Simulator options for the scenario: its behaviour, its users plus {@link SEED_USER}, its time scale and its seed
 * prospects.
 */
export function simulatorOptions(scenario: Scenario): SimulatorConfigPatch {
  const { settings, timeScale } = scenario;
  return {
    ...scenario.simulator,
    resources: { ...scenario.simulator.resources, seedProspects: scenario.seedProspects },
    users: [...settings.users, SEED_USER],
    budget: settings.budgetPerWindow,
    windowSeconds: settings.windowSimulatedSeconds / timeScale,
    mode: settings.refill === 'leaky-bucket' ? 'leaky' : 'fixed',
    timeScale: 1 / timeScale,
  };
}

/** Mean upstream latency the simulator adds, in wall ms (latency plus half the jitter). */
export function meanLatencyMs(scenario: Pick<Scenario, 'simulator'>): number {
  const faults = scenario.simulator.faults ?? {};
  return (faults.latencyMs ?? 0) + (faults.latencyJitterMs ?? 0) / 2;
}

/** Whether the scenario's simulator injects failures (errors, slow answers, resets, outages) beyond its latency. */
export function injectsFaults(scenario: Pick<Scenario, 'simulator'>): boolean {
  const { latencyMs: _latency, latencyJitterMs: _jitter, ...failures } = scenario.simulator.faults ?? {};
  return Object.values(failures).some((value) => value !== undefined && value !== null && value !== 0);
}

// ---------------------------------------------------------------- workload generators

interface Generator {
  readonly random: () => number;
  readonly users: readonly string[];
  readonly out: ScheduledIntent[];
  /** Seeded prospects handed out so far (ids 1…seeded). */
  seeded: number;
}

/** `count` seeded prospects no other part of the workload uses. */
function takeSeeded(g: Generator, count: number): number[] {
  const ids = Array.from({ length: count }, (_, i) => g.seeded + 1 + i);
  g.seeded += count;
  return ids;
}

/** `count` prospect creates per user on `bulk`, all enqueued at `atMs` (an import handed over at once), users interleaved. */
function bulkImport(g: Generator, options: { count: number; atMs: number; producer: string; tag?: string }): void {
  const tag = options.tag ?? 'import';
  // Interleaved by owner, as an import of a CRM export would be.
  for (let n = 1; n <= options.count; n += 1) {
    for (const user of g.users) {
      g.out.push({
        atMs: options.atMs,
        producer: options.producer,
        intent: {
          id: `${tag}-${user}-${n}`,
          user,
          lane: 'bulk',
          operation: {
            type: 'prospect.create',
            attributes: {
              emails: [`${tag}-${user}-${n}@example.com`],
              firstName: `Imported${n}`,
              lastName: user,
            },
          },
        },
      });
    }
  }
}

/** Times spread at random over `[fromMs, toMs)`, sorted. */
function spread(g: Generator, count: number, fromMs: number, toMs: number): number[] {
  return Array.from({ length: count }, () => Math.round(fromMs + g.random() * (toMs - fromMs))).sort((a, b) => a - b);
}

/**
 * Standard-lane CRM changes per user: updates of seeded prospects, upserts of seeded e-mails (found, then
 * updated) and upserts of new e-mails (not found, then created).
 */
function crmUpdates(
  g: Generator,
  options: { count: number; fromMs: number; toMs: number; producer: string; pool: number },
): void {
  const prospects = takeSeeded(g, options.pool);
  for (const user of g.users) {
    spread(g, options.count, options.fromMs, options.toMs).forEach((atMs, n) => {
      const roll = g.random();
      const prospectId = pick(g.random, prospects);
      const id = `crm-${user}-${n + 1}`;
      const title = pick(g.random, ['CEO', 'CTO', 'VP Sales', 'Head of Ops', 'Engineer']);
      const intent: IntentInput =
        roll < 0.6
          ? { id, user, lane: 'standard', operation: { type: 'prospect.update', prospectId, attributes: { title } } }
          : roll < 0.85
            ? {
                id,
                user,
                lane: 'standard',
                operation: { type: 'prospect.upsert', email: seedProspectEmail(prospectId), attributes: { title } },
              }
            : {
                id,
                user,
                lane: 'standard',
                operation: {
                  type: 'prospect.upsert',
                  email: `crm-${user}-${n + 1}@example.com`,
                  attributes: { firstName: `Lead${n + 1}`, title },
                },
              };
      g.out.push({ atMs, producer: options.producer, intent });
    });
  }
}

/**
 * A steady trickle of critical sequence enrolments: every `everyMs` (± a third) per user, each of a different
 * seeded prospect, so no enrolment duplicates another.
 */
function criticalEnrolments(
  g: Generator,
  options: { everyMs: number; fromMs: number; toMs: number; producer: string },
): void {
  let next = 0;
  for (const user of g.users) {
    for (let atMs = options.fromMs; atMs < options.toMs; atMs += options.everyMs) {
      const [prospectId] = takeSeeded(g, 1) as [number];
      next += 1;
      const jitter = Math.round((g.random() - 0.5) * (options.everyMs / 1.5));
      g.out.push({
        atMs: Math.max(options.fromMs, atMs + jitter),
        producer: options.producer,
        intent: {
          id: `enrol-${user}-${next}`,
          user,
          lane: 'critical',
          operation: {
            type: 'sequenceState.create',
            prospectId,
            sequenceId: 1 + (next % 3),
            mailboxId: 1 + (next % 2),
          },
        },
      });
    }
  }
}

/**
 * A campaign launch: `count` bulk-lane enrolments per user, all handed over at `atMs`, each of a different seeded
 * prospect into one sequence from one mailbox (what a bulk action can carry in one request).
 */
function bulkEnrolments(
  g: Generator,
  options: { count: number; atMs: number; producer: string; sequenceId: number; mailboxId: number },
): void {
  for (const user of g.users) {
    takeSeeded(g, options.count).forEach((prospectId, n) => {
      g.out.push({
        atMs: options.atMs,
        producer: options.producer,
        intent: {
          id: `campaign-${user}-${n + 1}`,
          user,
          lane: 'bulk',
          operation: {
            type: 'sequenceState.create',
            prospectId,
            sequenceId: options.sequenceId,
            mailboxId: options.mailboxId,
          },
        },
      });
    });
  }
}

/** Sorts by enqueue time, keeping generation order for equal times (a stable sort). */
const byTime = (out: ScheduledIntent[]): ScheduledIntent[] => out.sort((a, b) => a.atMs - b.atMs);

const LATENCY = { latencyMs: 150, latencyJitterMs: 50 } as const;

// ---------------------------------------------------------------- the scenarios

interface Definition {
  readonly summary: string;
  readonly users: readonly string[];
  readonly timeScale: number;
  readonly settings: Omit<ScenarioSettings, 'users' | 'windowSimulatedSeconds'>;
  readonly simulator: SimulatorConfigPatch;
  readonly workload: (g: Generator) => void;
}

const DEMO_LANES = {
  critical: { batchSize: 1, maxConcurrency: 4 },
  standard: { batchSize: 5, maxConcurrency: 6 },
  bulk: { batchSize: 10, maxConcurrency: 16 },
} as const;

const DEFINITIONS: Record<ScenarioName, Definition> = {
  demo: {
    summary:
      'Two users: a bulk import of 2,400 prospects, CRM updates on standard and a trickle of critical enrolments, about two windows of budget',
    users: ['u1', 'u2'],
    timeScale: 120,
    settings: { budgetPerWindow: 600, refill: 'fixed-window', inFlightCap: 8, lanes: DEMO_LANES },
    simulator: { faults: LATENCY },
    workload: (g) => {
      bulkImport(g, { count: 1200, atMs: 0, producer: 'crm-import' });
      crmUpdates(g, { count: 100, fromMs: 0, toMs: 1.5 * HOUR, producer: 'crm-sync', pool: 40 });
      criticalEnrolments(g, {
        everyMs: 3 * MINUTE,
        fromMs: 2 * MINUTE,
        toMs: 1.5 * HOUR,
        producer: 'sequencer',
      });
    },
  },
  smoke: {
    summary: 'One user, about 60 intents over two short windows: a quick end-to-end check',
    users: ['u1'],
    timeScale: 720,
    settings: {
      budgetPerWindow: 40,
      refill: 'fixed-window',
      inFlightCap: 4,
      lanes: {
        critical: { batchSize: 1, maxConcurrency: 2 },
        standard: { batchSize: 5, maxConcurrency: 2 },
        bulk: { batchSize: 10, maxConcurrency: 4 },
      },
    },
    simulator: { faults: { latencyMs: 40, latencyJitterMs: 20 } },
    workload: (g) => {
      bulkImport(g, { count: 40, atMs: 0, producer: 'crm-import' });
      crmUpdates(g, { count: 12, fromMs: 0, toMs: HOUR, producer: 'crm-sync', pool: 10 });
      criticalEnrolments(g, { everyMs: 8 * MINUTE, fromMs: MINUTE, toMs: HOUR, producer: 'sequencer' });
    },
  },
  'seed-002': {
    summary:
      'Three producers share one user with penalty mode on (each request during a cool-down extends it): the consumer-side 429',
    users: ['u1'],
    timeScale: 120,
    settings: { budgetPerWindow: 600, refill: 'fixed-window', inFlightCap: 8, lanes: DEMO_LANES },
    simulator: {
      faults: LATENCY,
      retryAfter: 'delta',
      // Outreach answers 429 to more than 8 requests at once; in penalty mode that starts a 10 s cool-down that
      // every request made during it lengthens, up to 210 s: what seed 002 measured.
      concurrencyCap: 8,
      penalty: { enabled: true, initialWaitSeconds: 10, growthFactor: 1.5, maxWaitSeconds: 210 },
    },
    workload: (g) => {
      bulkImport(g, { count: 450, atMs: 0, producer: 'producer-a', tag: 'a' });
      bulkImport(g, { count: 450, atMs: 5 * MINUTE, producer: 'producer-b', tag: 'b' });
      crmUpdates(g, { count: 100, fromMs: 0, toMs: 1.5 * HOUR, producer: 'producer-c', pool: 40 });
      criticalEnrolments(g, {
        everyMs: 4 * MINUTE,
        fromMs: 2 * MINUTE,
        toMs: 1.5 * HOUR,
        producer: 'producer-c',
      });
    },
  },
  'bulk-and-urgent': {
    summary: 'A bulk job worth three windows with a steady critical trickle: urgent work must not wait behind bulk',
    users: ['u1'],
    timeScale: 180,
    settings: { budgetPerWindow: 500, refill: 'fixed-window', inFlightCap: 8, lanes: DEMO_LANES },
    simulator: { faults: LATENCY },
    workload: (g) => {
      bulkImport(g, { count: 1500, atMs: 0, producer: 'crm-import' });
      criticalEnrolments(g, {
        everyMs: 3 * MINUTE,
        fromMs: MINUTE,
        toMs: 2.9 * HOUR,
        producer: 'sequencer',
      });
    },
  },
  'unknown-limits': {
    summary: 'Outreach sends no rate-limit headers and no Retry-After: the gate must go by configuration and 429s',
    users: ['u1'],
    timeScale: 120,
    settings: { budgetPerWindow: 600, refill: 'fixed-window', inFlightCap: 8, lanes: DEMO_LANES },
    simulator: { faults: LATENCY, rateLimitHeaders: false, retryAfter: 'none' },
    workload: (g) => {
      bulkImport(g, { count: 800, atMs: 0, producer: 'crm-import' });
      crmUpdates(g, { count: 60, fromMs: 0, toMs: HOUR, producer: 'crm-sync', pool: 40 });
      criticalEnrolments(g, { everyMs: 4 * MINUTE, fromMs: MINUTE, toMs: HOUR, producer: 'sequencer' });
    },
  },
  'flaky-upstream': {
    summary: 'Bursts of 5xx and slow answers on top of the budget: failures are retried, never lost nor doubled',
    users: ['u1'],
    timeScale: 120,
    settings: { budgetPerWindow: 600, refill: 'fixed-window', inFlightCap: 8, lanes: DEMO_LANES },
    simulator: {
      faults: {
        ...LATENCY,
        errorBurst: { status: 503, count: 25 },
        errorRate: 0.03,
        errorRateStatus: 502,
        slowRate: 0.02,
        slowResponseMs: 1500,
      },
    },
    workload: (g) => {
      bulkImport(g, { count: 800, atMs: 0, producer: 'crm-import' });
      crmUpdates(g, { count: 60, fromMs: 0, toMs: HOUR, producer: 'crm-sync', pool: 40 });
      criticalEnrolments(g, { everyMs: 4 * MINUTE, fromMs: MINUTE, toMs: HOUR, producer: 'sequencer' });
    },
  },
  'many-users': {
    summary: 'Four users with budgets of their own sharing the same lanes and dispatcher instances',
    users: ['u1', 'u2', 'u3', 'u4'],
    timeScale: 120,
    settings: {
      budgetPerWindow: 400,
      refill: 'fixed-window',
      inFlightCap: 6,
      lanes: {
        critical: { batchSize: 1, maxConcurrency: 4 },
        standard: { batchSize: 5, maxConcurrency: 6 },
        bulk: { batchSize: 10, maxConcurrency: 20 },
      },
    },
    simulator: { faults: { latencyMs: 200, latencyJitterMs: 50 } },
    workload: (g) => {
      bulkImport(g, { count: 550, atMs: 0, producer: 'crm-import' });
      crmUpdates(g, { count: 50, fromMs: 0, toMs: HOUR, producer: 'crm-sync', pool: 40 });
      criticalEnrolments(g, { everyMs: 4 * MINUTE, fromMs: MINUTE, toMs: 1.3 * HOUR, producer: 'sequencer' });
    },
  },
  'bulk-enrol': {
    summary:
      'A campaign launch: 20,000 bulk enrolments of one user into one sequence from one mailbox, with CRM updates and critical enrolments for the first half hour; one request per enrolment needs two hours of budget, and the ideal is that single-request schedule, so bulk actions can beat it',
    users: ['u1'],
    // An hour in 15 wall minutes: Outreach's 10,000 requests per hour bind single requests at about 11 per wall
    // second, and 20,000 intents in 12 simulated minutes (10× the single-request rate) would need only about
    // 110 intents per wall second from the local pipeline, within what it carries.
    timeScale: 4,
    settings: {
      budgetPerWindow: 10_000,
      refill: 'fixed-window',
      inFlightCap: 8,
      lanes: {
        critical: { batchSize: 1, maxConcurrency: 4 },
        standard: { batchSize: 5, maxConcurrency: 6 },
        bulk: { batchSize: 10, maxConcurrency: 20 },
      },
    },
    // A bulk action starts 5 simulated seconds after it is accepted and takes 10 simulated ms per prospect.
    simulator: { faults: LATENCY, batches: { startDelaySeconds: 5, secondsPerItem: 0.01 } },
    workload: (g) => {
      bulkEnrolments(g, { count: 20_000, atMs: 0, producer: 'campaign-launch', sequenceId: 1, mailboxId: 1 });
      crmUpdates(g, { count: 120, fromMs: 0, toMs: 30 * MINUTE, producer: 'crm-sync', pool: 40 });
      criticalEnrolments(g, { everyMs: MINUTE, fromMs: MINUTE, toMs: 30 * MINUTE, producer: 'sequencer' });
    },
  },
};

/**
 * Builds a named scenario. Pure and deterministic: the same name and options give the same scenario.
 * @throws ScenarioError naming the bad option.
 */
export function buildScenario(name: string, options: ScenarioOptions = {}): Scenario {
  if (!isScenarioName(name)) {
    throw new ScenarioError(`unknown scenario "${name}"; scenarios are ${SCENARIO_NAMES.join(', ')}`);
  }
  const definition = DEFINITIONS[name];
  const seed = options.seed ?? 1;
  if (!Number.isInteger(seed) || seed < 0) throw new ScenarioError(`seed must be a whole number ≥ 0, got ${seed}`);
  const timeScale = options.timeScale ?? definition.timeScale;
  if (!(Number.isFinite(timeScale) && timeScale >= 1)) {
    throw new ScenarioError(`timeScale must be a number ≥ 1 (simulated ms per wall ms), got ${timeScale}`);
  }
  const users = [...(options.users ?? definition.users)];
  if (users.length === 0) throw new ScenarioError('users must name at least one Outreach user');
  if (users.includes(SEED_USER)) {
    throw new ScenarioError(
      `users must not include "${SEED_USER}": the simulator uses it to create the seed prospects`,
    );
  }
  if (new Set(users).size !== users.length) throw new ScenarioError(`users lists a user twice: ${users.join(', ')}`);

  const generator: Generator = { random: seededRandom(seed), users, out: [], seeded: 0 };
  definition.workload(generator);
  return {
    name,
    summary: definition.summary,
    seed,
    timeScale,
    settings: { ...definition.settings, users, windowSimulatedSeconds: OUTREACH_WINDOW_SECONDS },
    simulator: definition.simulator,
    seedProspects: generator.seeded,
    workload: byTime(generator.out),
  };
}
