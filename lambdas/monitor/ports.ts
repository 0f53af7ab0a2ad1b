import type { GateState } from '../gate/types';
import type { Lane } from '../shared/names';
import type { UserGauges } from './decide';

/** Reads one user's gate item (the gate store's own reading, so the monitor never re-parses it). */
export interface GateReader {
  snapshot(user: string): Promise<GateState>;
}

/** A pause the monitor made and has not undone. */
export interface PumpPause {
  readonly lane: Lane;
  /** Epoch ms at which the earliest cool-down was due to end when the lane was paused. */
  readonly untilMs: number;
  /** Epoch ms of the pause. */
  readonly pausedAt: number;
}

/** Where the monitor remembers the pauses it made, so it resumes only those and survives cold starts. */
export interface PumpPauses {
  /** The monitor's pause of `lane`, if any. */
  get(lane: Lane): Promise<PumpPause | undefined>;
  /** Records a pause; false when one was already recorded (another tick got there first). */
  record(pause: PumpPause): Promise<boolean>;
  /** Forgets the pause of `lane`. */
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
