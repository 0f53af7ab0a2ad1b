/**
 * The gate's metrics as a chaos run needs them: what settled, and the longest cool-down the gate applied (only the
 * gate knows the cool-downs it derived from 429s without headers). Workers forward their metrics here.
 */
import type { GateMetrics } from '../../lambdas/dispatcher/ports';

/** Counts and the longest cool-down, from every dispatcher's metrics. */
export class ChaosMetrics implements GateMetrics {
  succeededCount = 0;
  deadLetteredCount = 0;
  failures = 0;
  upstreamByStatus: Record<string, number> = {};
  deferrals: Record<string, number> = {};
  /** Longest cool-down remaining the gate reported, in wall ms. */
  longestCooldownMs = 0;
  tokensMinted = 0;
  /** Times a user's intents waited for credentials, by `user:cause`. */
  credentialPauses: Record<string, number> = {};

  upstream(status: number | 'timeout'): void {
    this.upstreamByStatus[String(status)] = (this.upstreamByStatus[String(status)] ?? 0) + 1;
  }
  deferral(reason: string): void {
    this.deferrals[reason] = (this.deferrals[reason] ?? 0) + 1;
  }
  failure(): void {
    this.failures += 1;
  }
  deadLettered(): void {
    this.deadLetteredCount += 1;
  }
  succeeded(): void {
    this.succeededCount += 1;
  }
  inFlight(): void {}
  remainingBudget(): void {}
  cooldownRemaining(_user: string, ms: number): void {
    this.longestCooldownMs = Math.max(this.longestCooldownMs, ms);
  }
  tokenMinted(): void {
    this.tokensMinted += 1;
  }
  credentialsPaused(user: string, cause: string): void {
    const key = `${user}:${cause}`;
    this.credentialPauses[key] = (this.credentialPauses[key] ?? 0) + 1;
  }
}
