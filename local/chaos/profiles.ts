/** The sizes of a chaos run: quick for CI, full for the README. */

/** How big a chaos run is and how fast Outreach's clock runs. */
export interface ChaosProfile {
  readonly intents: number;
  readonly users: readonly string[];
  /** Simulated ms per wall ms. */
  readonly timeScale: number;
  /** Intents are enqueued over this many wall ms. */
  readonly periodMs: number;
  /** Faults start within [faultsFromMs, faultsToMs) wall ms from the first enqueue. */
  readonly faultsFromMs: number;
  readonly faultsToMs: number;
  /** Requests per user per (simulated) hour. */
  readonly budgetPerWindow: number;
  /** Longest wall ms to wait, after the last enqueue and the last fault, for every intent to settle. */
  readonly drainMs: number;
  /** 429s without headers in the burst (each one in a row doubles the gate's cool-down). */
  readonly bare429Burst: number;
}

/** The two sizes. */
export const CHAOS_PROFILES: Readonly<Record<'quick' | 'full', ChaosProfile>> = {
  quick: {
    intents: 300,
    users: ['u1', 'u2'],
    timeScale: 12,
    periodMs: 30_000,
    faultsFromMs: 2_000,
    faultsToMs: 24_000,
    budgetPerWindow: 1_000,
    drainMs: 240_000,
    bare429Burst: 4,
  },
  full: {
    intents: 3_000,
    users: ['u1', 'u2', 'u3'],
    timeScale: 6,
    periodMs: 150_000,
    faultsFromMs: 10_000,
    faultsToMs: 130_000,
    budgetPerWindow: 5_000,
    drainMs: 300_000,
    bare429Burst: 12,
  },
};
