import type { GateConfig } from '../shared/config';
import { type BoundedTime, retryAfterUntil } from './headers';
import type { HeaderSource, UpstreamStatus } from './types';

/**
 * Outreach's maintenance answer: a 503 (`scheduledServerMaintenance`) with a `Retry-After` naming when to come
 * back. It is a shared cool-down like a 429, not a failure: nobody calls before then, and nobody's attempts are
 * spent. A 503 without a usable future Retry-After stays an ordinary failure.
 */
export function maintenanceUntil(
  status: UpstreamStatus,
  headers: HeaderSource | undefined,
  now: number,
  config: Pick<GateConfig, 'timing'>,
): BoundedTime | undefined {
  if (status !== 503) return undefined;
  return retryAfterUntil(headers, now, config);
}
