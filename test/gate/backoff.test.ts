import { backoffDelayMs } from '../../lambdas/gate/backoff';
import { resolveGateSettings } from '../../lib/settings';

const config = resolveGateSettings().gate; // backoff base 1 s, cap 300 s

describe('backoffDelayMs', () => {
  it.each([
    [1, 1, 1_000],
    [2, 1, 2_000],
    [3, 0.5, 2_000],
    [9, 1, 256_000],
    [10, 1, 300_000],
    [60, 1, 300_000],
    [5000, 0.25, 75_000],
    [4, 0, 0],
  ])(
    'GIVEN attempt %i and random %d WHEN the delay is computed THEN it is random × min(cap, base × 2^(attempt−1)) = %i',
    (attempt, random, expected) => {
      expect(backoffDelayMs(attempt, config, () => random)).toBe(expected);
    },
  );

  it.each([0, -1, 1.5, Number.NaN])(
    'GIVEN attempt %d WHEN the delay is computed THEN it fails naming the attempt',
    (attempt) => {
      expect(() => backoffDelayMs(attempt, config)).toThrow(/backoff attempt must be an integer ≥ 1/);
    },
  );
});
