import { decidePump, type PumpDecision, type PumpInput, userGauges } from '../../lambdas/monitor/decide';
import type { GateConfig } from '../../lambdas/shared/config';

const NOW = 1_800_000_000_000;
const MIN = 60_000;
const THRESHOLD = 5 * MIN;

describe('decidePump', () => {
  const cases: [string, Omit<PumpInput, 'now' | 'pauseAfterMs'>, PumpDecision][] = [
    [
      'GIVEN every user cooling down longer than the threshold THEN the lane pauses until the earliest cool-down ends',
      { cooldownUntil: [NOW + 20 * MIN, NOW + 6 * MIN], pausedBy: undefined },
      { kind: 'pause', untilMs: NOW + 6 * MIN },
    ],
    [
      'GIVEN one user cooling down for exactly the threshold THEN the lane keeps running',
      { cooldownUntil: [NOW + 20 * MIN, NOW + THRESHOLD], pausedBy: undefined },
      { kind: 'keep' },
    ],
    [
      'GIVEN one user not cooling down THEN the lane keeps running',
      { cooldownUntil: [NOW + 20 * MIN, undefined], pausedBy: undefined },
      { kind: 'keep' },
    ],
    [
      'GIVEN one user whose cool-down has ended THEN the lane keeps running',
      { cooldownUntil: [NOW + 20 * MIN, NOW - 1], pausedBy: undefined },
      { kind: 'keep' },
    ],
    [
      'GIVEN a monitor pause and the earliest cool-down ending now THEN the lane resumes',
      { cooldownUntil: [NOW + 20 * MIN, NOW], pausedBy: 'monitor' },
      { kind: 'resume' },
    ],
    [
      'GIVEN a monitor pause and a user never cooled down THEN the lane resumes',
      { cooldownUntil: [NOW + 20 * MIN, undefined], pausedBy: 'monitor' },
      { kind: 'resume' },
    ],
    [
      'GIVEN a monitor pause and every user still cooling down, even briefly THEN the lane stays paused',
      { cooldownUntil: [NOW + 20 * MIN, NOW + 1], pausedBy: 'monitor' },
      { kind: 'keep' },
    ],
    [
      'GIVEN an operator pause and every cool-down ended THEN the lane stays paused',
      { cooldownUntil: [NOW - MIN, undefined], pausedBy: 'operator' },
      { kind: 'keep' },
    ],
    [
      'GIVEN an operator pause and a lane serving no user THEN the lane stays paused',
      { cooldownUntil: [], pausedBy: 'operator' },
      { kind: 'keep' },
    ],
    [
      'GIVEN a lane serving no user and no pause THEN nothing changes',
      { cooldownUntil: [], pausedBy: undefined },
      { kind: 'keep' },
    ],
  ];
  it.each(cases)('%s', (_name, input, expected) => {
    expect(decidePump({ ...input, now: NOW, pauseAfterMs: THRESHOLD })).toEqual(expected);
  });
});

describe('userGauges', () => {
  const config = {
    budget: {
      refill: 'fixed-window',
      limitPerWindow: 100,
      windowSeconds: 3600,
      safetyMargin: 1,
      criticalReserve: 0,
      reserveReleaseMs: 0,
      resetSkewMs: 0,
    },
    leases: { inFlightCap: 4, criticalReserve: 1, ttlMs: 30_000 },
    timing: { maxHeaderWaitMs: 86_400_000, clockSkewMs: 0 },
  } satisfies Pick<GateConfig, 'budget' | 'leases' | 'timing'>;

  it('GIVEN a gate item cooling down, with a lease held, one expired, budget spent and the circuit open THEN the gauges read it as of now', () => {
    const gauges = userGauges(
      {
        cooldownUntil: NOW + 90_000,
        leases: { 0: { expiresAt: NOW + 1000, token: 'a' }, 2: { expiresAt: NOW - 1, token: 'b' } },
        windowResetAt: NOW + MIN,
        spent: 30,
        circuitOpenUntil: NOW + 1,
      },
      NOW,
      config,
    );
    expect(gauges).toEqual({ cooldownRemainingMs: 90_000, budgetRemaining: 70, inFlight: 1, circuitOpen: true });
  });

  it('GIVEN a gate item nobody wrote yet THEN no cool-down, the full budget, nothing in flight and the circuit closed', () => {
    expect(userGauges({ leases: {} }, NOW, config)).toEqual({
      cooldownRemainingMs: 0,
      budgetRemaining: 100,
      inFlight: 0,
      circuitOpen: false,
    });
  });
});
