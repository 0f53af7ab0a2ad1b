import type { GateObserver } from './port';

/** Where a {@link GateObserver} writes (the dispatcher's logger). */
export interface ObserverLogger {
  warn(message: string, extra?: Record<string, unknown>): void;
}

/** Counts what the observer sees, when a metric for it is wired. */
export interface ObserverCounters {
  headerClamped?(user: string, header: string): void;
}

/**
 * The gate observer the dispatcher uses: every header time clamped to the ceiling is logged with the user,
 * the header, what it asked for and what was used instead (both as ISO times), and counted when a counter is given.
 */
export function loggingGateObserver(logger: ObserverLogger, counters: ObserverCounters = {}): GateObserver {
  return {
    headerClamped(user, header, statedMs, usedMs) {
      logger.warn('a response header asked for a wait beyond the ceiling; the ceiling was used', {
        user,
        header,
        stated: isoOrRaw(statedMs),
        used: isoOrRaw(usedMs),
      });
      counters.headerClamped?.(user, header);
    },
  };
}

function isoOrRaw(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? String(ms) : date.toISOString();
}
