/** The gate's pure core: admission, release and header reading, with the clock passed in. */
export {
  budgetReserve,
  CRITICAL_RESERVE_HEADROOM,
  countInFlight,
  criticalRollover,
  decideAdmission,
  effectiveLimit,
  estimateRemaining,
  heldReserve,
  inFlightLimit,
  leaseHeld,
  rolloverMarginMs,
} from './admission';
export { backoffDelayMs } from './backoff';
export {
  type BoundedTime,
  boundHeaderTime,
  type ClampedHeader,
  type Cooldown,
  type CooldownSource,
  clampedHeaders,
  cooldownUntilFor429,
  headerValue,
  parseRetryAfter,
  readRateLimitHeaders,
  retryAfterEnd,
  retryAfterUntil,
} from './headers';
export { formatEpochMs, formatLease, freeBelow, LeaseFormatError, parseLease } from './lease';
export { budgetLimits, confirmOnRollover, LIMIT_PROBE_SHARE, learnLimitFrom429 } from './limits';
export { maintenanceUntil } from './maintenance';
export { applyObservation, type ObservationContext, resetMatchToleranceMs } from './observation';
export { loggingGateObserver, type ObserverCounters, type ObserverLogger } from './observer';
export {
  applyPatch,
  composePatches,
  conditionHolds,
  EMPTY_PATCH,
  isEmptyPatch,
  mergePatches,
  patchApplies,
} from './patch';
export {
  type GateObserver,
  type GateStore,
  GateStoreError,
  GateUnavailableError,
  type Lease,
  type ReturnedLease,
  type UpstreamResult,
  type Wait,
} from './port';
export { decideRelease, isUpstreamFailure, releaseMayWait } from './release';
export * from './types';
