import type { GateState } from '../gate/types';
import type { Lane } from '../shared/names';
import type { UserGauges } from './decide';

/** Reads one user's gate item (the gate store's own reading, so the monitor never re-parses it). */
export interface GateReader {
  snapshot(user: string): Promise<GateState>;
}

/** Who paused a lane: the monitor during a long cool-down, or an operator (`outreach-gate pause`). */
export type PausedBy = 'monitor' | 'operator';

/** A pause of a lane that has not been undone. */
export interface PumpPause {
  readonly lane: Lane;
  /** Who paused it: only an operator's `resume` undoes an operator's pause. */
  readonly by: PausedBy;
  /** Epoch ms at which the earliest cool-down was due to end when the monitor paused the lane; absent for an operator. */
  readonly untilMs?: number;
  /** Epoch ms of the pause. */
  readonly pausedAt: number;
}

/**
 * Where lane pauses are remembered, with who made them, so the monitor resumes only its own, an operator's pause
 * outlasts every tick, and both survive cold starts.
 */
export interface PumpPauses {
  /** The pause of `lane`, if any. */
  get(lane: Lane): Promise<PumpPause | undefined>;
  /** Records the monitor's pause; false when a pause was already recorded (another tick or an operator got there first). */
  record(pause: { readonly lane: Lane; readonly untilMs: number; readonly pausedAt: number }): Promise<boolean>;
  /** Records an operator's pause, replacing a monitor's: from now on only {@link PumpPauses.clear} undoes it. */
  hold(lane: Lane, pausedAt: number): Promise<void>;
  /** Forgets the monitor's pause of `lane`; false (nothing changed) when the pause there is an operator's. */
  release(lane: Lane): Promise<boolean>;
  /** Forgets any pause of `lane` (an operator's resume). */
  clear(lane: Lane): Promise<void>;
}

/** Turns a lane's event source mappings off and on. */
export interface LaneSwitch {
  setEnabled(lane: Lane, enabled: boolean): Promise<void>;
}

/** What the monitor publishes each tick; names and dimensions are those of `METRIC` in names.ts. */
export interface MonitorMetrics {
  user(user: string, gauges: UserGauges): void;
  lanePaused(lane: Lane, paused: boolean): void;
}

/** Where the monitor says what it did. */
export interface MonitorLogger {
  info(message: string, extra?: Record<string, unknown>): void;
}
