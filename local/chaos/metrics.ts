/**
 * The gate's metrics as a chaos run needs them: every dispatcher's measurements recorded as a local run records
 * them (workers forward theirs here), and the longest cool-down the gate applied (only the gate knows the
 * cool-downs it derived from 429s without headers).
 */
import { RecordingGateMetrics } from '../recording-metrics';

/** Metric events a chaos run keeps: it reads counts and the longest cool-down, not the time series. */
const EVENTS_KEPT = 10_000;

/** The recorded metrics of every dispatcher, and the longest cool-down among them. */
export class ChaosMetrics extends RecordingGateMetrics {
  private longest = 0;

  constructor(clock: () => number = Date.now) {
    super(clock, EVENTS_KEPT);
  }

  /** Longest cool-down remaining the gate reported, in wall ms. */
  get longestCooldownMs(): number {
    return this.longest;
  }

  override cooldownRemaining(user: string, ms: number): void {
    super.cooldownRemaining(user, ms);
    this.longest = Math.max(this.longest, ms);
  }
}
