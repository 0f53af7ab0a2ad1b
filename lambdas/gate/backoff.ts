import type { GateConfig } from '../shared/config';

/**
 * Full-jitter exponential backoff before failed attempt `attempt` (1-based) is retried: a uniformly random
 * delay up to `min(backoffMaxMs, backoffBaseMs × 2^(attempt−1))`, so callers that failed together do not
 * retry together.
 */
export function backoffDelayMs(
  attempt: number,
  config: Pick<GateConfig, 'retries'>,
  random: () => number = Math.random,
): number {
  if (!Number.isInteger(attempt) || attempt < 1) {
    throw new RangeError(`backoff attempt must be an integer ≥ 1, got ${attempt}`);
  }
  const { backoffBaseMs, backoffMaxMs } = config.retries;
  const ceiling = Math.min(backoffMaxMs, backoffBaseMs * 2 ** (attempt - 1));
  return random() * ceiling;
}
