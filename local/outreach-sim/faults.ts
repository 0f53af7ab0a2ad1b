/**
 * Decides, per API request, which injected fault applies. Pure apart from the random source and the
 * burst counters it consumes, both passed in.
 */
import type { FaultStatus, FaultsConfig } from './config';

/** What to do to one API request. */
export interface FaultDecision {
  /** Reset the connection instead of answering: before processing the request, or after. */
  reset: 'before' | 'after' | null;
  /** Answer with this error status instead of processing the request. */
  errorStatus: FaultStatus | null;
  /** Epoch ms when maintenance ends, if the API is down for maintenance. */
  maintenanceUntil: number | null;
  /** Real ms to hold the response back (latency, jitter, slow responses). */
  delayMs: number;
  /** Hold the request open and never answer it (the API is unresponsive). */
  hold: boolean;
  /** Answer 429 with no headers at all instead of processing the request. */
  bare429: boolean;
}

/** Epoch ms until which the token endpoint is down, or null when it answers. Pure. */
export function tokenOutageUntil(faults: FaultsConfig, now: number): number | null {
  return faults.tokenOutage && now < faults.tokenOutage.untilEpochMs ? faults.tokenOutage.untilEpochMs : null;
}

/**
 * Decides the faults for the next API request. While the API is unresponsive nothing else applies. Consumes one
 * unit of `faults.resetNext`, `faults.bare429Next` and `faults.errorBurst.count` when they apply, so the counts
 * seen in the config go down as they fire.
 */
export function decideFaults(faults: FaultsConfig, now: number, random: () => number): FaultDecision {
  if (faults.unresponsive && now < faults.unresponsive.untilEpochMs) {
    return { reset: null, errorStatus: null, maintenanceUntil: null, delayMs: 0, hold: true, bare429: false };
  }
  let reset: FaultDecision['reset'] = null;
  if (faults.resetNext > 0) {
    faults.resetNext -= 1;
    reset = faults.resetPhase;
  } else if (faults.resetRate > 0 && random() < faults.resetRate) {
    reset = faults.resetPhase;
  }
  const maintenanceUntil =
    faults.maintenance && now < faults.maintenance.untilEpochMs ? faults.maintenance.untilEpochMs : null;
  let errorStatus: FaultStatus | null = null;
  let bare429 = false;
  if (reset !== 'before' && maintenanceUntil === null && faults.bare429Next > 0) {
    faults.bare429Next -= 1;
    bare429 = true;
  } else if (reset !== 'before' && maintenanceUntil === null) {
    if (faults.errorBurst && faults.errorBurst.count > 0) {
      errorStatus = faults.errorBurst.status;
      faults.errorBurst.count -= 1;
    } else if (faults.errorRate > 0 && random() < faults.errorRate) {
      errorStatus = faults.errorRateStatus;
    }
  }
  let delayMs = faults.latencyMs;
  if (faults.latencyJitterMs > 0) delayMs += random() * faults.latencyJitterMs;
  if (faults.slowRate > 0 && faults.slowResponseMs > 0 && random() < faults.slowRate) delayMs += faults.slowResponseMs;
  return { reset, errorStatus, maintenanceUntil, delayMs, hold: false, bare429 };
}
