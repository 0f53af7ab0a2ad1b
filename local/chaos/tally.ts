/**
 * The outcome of a chaos run, counted from what each intent ended as and what Outreach saw. Lost is enqueued minus
 * succeeded and dead-lettered, after draining. Created twice and 429s come from the simulator's statistics (as in
 * the local runs and the benchmark); calls during a cool-down are the simulator's penalty strikes: in penalty mode
 * every request that arrives while a user was told to wait is one. Pure.
 */
import type { SimulatorStats } from '../outreach-sim';
import type { FaultRecord } from './injector';

/** Everything a chaos run reports. */
export interface ChaosTally {
  readonly enqueued: number;
  readonly succeeded: number;
  readonly deadLettered: number;
  readonly deadLetteredByReason: Readonly<Record<string, number>>;
  readonly lost: number;
  /** Up to 20 ids of lost intents. */
  readonly lostIds: readonly string[];
  readonly createdTwice: number;
  readonly callsDuringCooldown: number;
  readonly status429: number;
  /** Longest cool-down the gate applied, in simulated ms. */
  readonly longestCooldownMs: number;
  readonly upstreamCalls: number;
}

/** What {@link tallyChaos} counts from. */
export interface TallyInput {
  readonly enqueuedIds: readonly string[];
  readonly succeededIds: ReadonlySet<string>;
  /** Reason by intent id, from the dead-letter queues. */
  readonly deadLettered: ReadonlyMap<string, string>;
  readonly stats: SimulatorStats;
  /** Users of the workload (the seeding user is left out). */
  readonly users: readonly string[];
  /** Longest cool-down the gate reported, in wall ms. */
  readonly longestCooldownWallMs: number;
  readonly timeScale: number;
}

/** Counts the run's outcome. */
export function tallyChaos(input: TallyInput): ChaosTally {
  const byReason: Record<string, number> = {};
  let succeeded = 0;
  let deadLettered = 0;
  const lostIds: string[] = [];
  for (const id of input.enqueuedIds) {
    if (input.succeededIds.has(id)) succeeded += 1;
    else if (input.deadLettered.has(id)) {
      deadLettered += 1;
      const reason = input.deadLettered.get(id) as string;
      byReason[reason] = (byReason[reason] ?? 0) + 1;
    } else lostIds.push(id);
  }
  const users = input.users.flatMap((user) => (input.stats.users[user] ? [input.stats.users[user]] : []));
  const sum = (pick: (user: (typeof users)[number]) => number) => users.reduce((total, user) => total + pick(user), 0);
  return {
    enqueued: input.enqueuedIds.length,
    succeeded,
    deadLettered,
    deadLetteredByReason: byReason,
    lost: lostIds.length,
    lostIds: lostIds.slice(0, 20),
    createdTwice: sum((user) => user.duplicatesCreated),
    callsDuringCooldown: sum((user) => user.cooldowns.filter((cooldown) => cooldown.reason === 'penalty').length),
    status429: sum((user) => user.status429),
    longestCooldownMs: Math.round(input.longestCooldownWallMs * input.timeScale),
    upstreamCalls: sum((user) => user.requests),
  };
}

/** A whole chaos run: how it was set up, its faults and its tally. */
export interface ChaosReport {
  readonly mode: 'quick' | 'full';
  readonly seed: number;
  /** Simulated ms per wall ms: Outreach's faults and cool-downs are in simulated time, the rest in wall time. */
  readonly timeScale: number;
  readonly startedAt: string;
  /** Wall ms from the first enqueue until everything settled (or the drain gave up). */
  readonly wallMs: number;
  readonly faults: readonly FaultRecord[];
  readonly tally: ChaosTally;
  /** Dispatcher workers started in place of ones that died. */
  readonly workerRestarts: number;
}
