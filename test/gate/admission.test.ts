import { decideAdmission, effectiveLimit, estimateRemaining } from '../../lambdas/gate/admission';
import { formatLease } from '../../lambdas/gate/lease';
import { applyPatch, patchApplies } from '../../lambdas/gate/patch';
import type { Admission, GateState, LeaseHold } from '../../lambdas/gate/types';
import type { GateConfig } from '../../lambdas/shared/config';
import type { Lane } from '../../lambdas/shared/names';
import { resolveGateSettings } from '../../lib/settings';

// Defaults: 10 leases of which 2 are critical's; 10,000/h × 0.8 until learned; 5% budget reserve released
// 60 s before the reset; 1 s reset skew; circuit opens after 5 failures for 30 s; leases live 30 s; times
// written by other processes are trusted only 1 s (the clock skew) after they pass.
const config: GateConfig = resolveGateSettings().gate;
const SKEW = config.timing.clockSkewMs;
const leaky: GateConfig = { ...config, budget: { ...config.budget, refill: 'leaky-bucket' } };
const now = Date.UTC(2026, 0, 15, 12, 0, 0);
const HOUR = 3_600_000;
const first = () => 0;
const last = () => 0.999_999;

const lease = (expiresAt: number): LeaseHold => ({ expiresAt, token: formatLease(expiresAt, `o${expiresAt}`) });
const held = (slots: number[], expiresAt = now + 10_000): Record<number, LeaseHold> =>
  Object.fromEntries(slots.map((slot, i) => [slot, lease(expiresAt + i)]));
const state = (fields: Partial<GateState> = {}): GateState => ({ leases: {}, ...fields });
const admit = (s: GateState, lane: Lane = 'bulk', at = now, cfg = config, random = first) =>
  decideAdmission(s, { lane, now: at }, cfg, random);
const expectAdmit = (admission: Admission) => {
  if (admission.kind !== 'admit') throw new Error(`expected an admit, got ${JSON.stringify(admission)}`);
  return admission;
};

describe('decideAdmission: first request for a user', () => {
  it('GIVEN an empty gate WHEN a bulk request asks THEN it is admitted, taking a lease and opening a window', () => {
    const admission = expectAdmit(admit(state()));
    const after = applyPatch(state(), admission.plan);
    expect(patchApplies(state(), admission.plan)).toBe(true);
    expect(after).toMatchObject({ windowResetAt: now + HOUR, spent: 1 });
    expect(after.leases[admission.slot]?.expiresAt).toBe(now + config.leases.ttlMs);
  });
});

describe('decideAdmission: cool-down', () => {
  it('GIVEN a cool-down until later WHEN a request asks THEN it waits until the cool-down ends plus the clock skew', () => {
    expect(admit(state({ cooldownUntil: now + 10_000 }), 'critical')).toEqual({
      kind: 'wait',
      untilMs: now + 10_000 + SKEW,
      reason: 'cooldown',
    });
  });

  it('GIVEN a cool-down ending exactly now (on the writer clock) WHEN a request asks THEN it waits out the skew', () => {
    expect(admit(state({ cooldownUntil: now }))).toEqual({ kind: 'wait', untilMs: now + SKEW, reason: 'cooldown' });
  });

  it('GIVEN a cool-down that ended the clock skew ago WHEN a request asks THEN it is admitted', () => {
    expect(admit(state({ cooldownUntil: now - SKEW })).kind).toBe('admit');
  });

  it('GIVEN an admit decided after a cool-down WHEN the cool-down read is older than the skew allows THEN its write no longer applies', () => {
    const { plan } = expectAdmit(admit(state({ cooldownUntil: now - SKEW })));
    expect(patchApplies(state({ cooldownUntil: now - SKEW + 1 }), plan)).toBe(false);
  });

  it('GIVEN an admit decided before a 429 WHEN a cool-down has since been written THEN its write no longer applies', () => {
    const { plan } = expectAdmit(admit(state()));
    expect(patchApplies(state({ cooldownUntil: now + 5_000 }), plan)).toBe(false);
  });
});

describe('decideAdmission: circuit breaker', () => {
  const threshold = config.circuitBreaker.failureThreshold;

  it('GIVEN an open circuit WHEN a request asks THEN it waits until the circuit half-opens', () => {
    const open = state({ consecutiveFailures: threshold, circuitOpenUntil: now + 20_000 });
    expect(admit(open)).toEqual({ kind: 'wait', untilMs: now + 20_000, reason: 'circuit' });
  });

  it('GIVEN a half-open circuit WHEN a request asks THEN it is admitted as the probe and re-arms the circuit', () => {
    const halfOpen = state({ consecutiveFailures: threshold, circuitOpenUntil: now - 1 });
    const { plan } = expectAdmit(admit(halfOpen));
    expect(applyPatch(halfOpen, plan).circuitOpenUntil).toBe(now + config.circuitBreaker.openMs);
  });

  it('GIVEN a half-open circuit and two concurrent callers WHEN the first probe is written THEN the second caller must wait', () => {
    const halfOpen = state({ consecutiveFailures: threshold, circuitOpenUntil: now - 1 });
    const probe = expectAdmit(admit(halfOpen, 'bulk', now, config, first));
    const rival = expectAdmit(admit(halfOpen, 'bulk', now, config, last));
    const afterProbe = applyPatch(halfOpen, probe.plan);
    expect(patchApplies(afterProbe, rival.plan)).toBe(false);
    expect(admit(afterProbe, 'critical')).toMatchObject({ kind: 'wait', reason: 'circuit' });
  });

  it('GIVEN failures below the threshold WHEN a request asks THEN it is admitted without touching the circuit', () => {
    const { plan } = expectAdmit(admit(state({ consecutiveFailures: threshold - 1 })));
    expect(plan.set.circuitOpenUntil).toBeUndefined();
  });

  it('GIVEN an admit decided on a closed circuit WHEN the threshold has since been reached THEN its write no longer applies', () => {
    const { plan } = expectAdmit(admit(state({ consecutiveFailures: threshold - 1 })));
    expect(patchApplies(state({ consecutiveFailures: threshold, circuitOpenUntil: now + 30_000 }), plan)).toBe(false);
  });
});

describe('decideAdmission: leases', () => {
  const shared = [0, 1, 2, 3, 4, 5, 6, 7];

  it.each([
    ['the first free slot', first, 0],
    ['the last free slot', last, 7],
  ])(
    'GIVEN every shared slot free WHEN a bulk request asks with a random pick of %s THEN it takes that slot',
    (_case, random, slot) => {
      expect(expectAdmit(admit(state(), 'standard', now, config, random)).slot).toBe(slot);
    },
  );

  it('GIVEN every shared slot held WHEN a bulk request asks THEN it waits for the earliest expiry', () => {
    const full = state({ leases: held(shared, now + 5_000) });
    expect(admit(full, 'bulk')).toEqual({ kind: 'wait', untilMs: now + 5_000 + SKEW, reason: 'lease' });
  });

  it('GIVEN every shared slot held WHEN a critical request asks THEN it takes a reserved slot', () => {
    const full = state({ leases: held(shared) });
    expect(expectAdmit(admit(full, 'critical')).slot).toBeGreaterThanOrEqual(8);
  });

  it.each([first, last])(
    'GIVEN every slot free WHEN a critical request asks THEN it prefers a reserved slot',
    (random) => {
      expect(expectAdmit(admit(state(), 'critical', now, config, random)).slot).toBeGreaterThanOrEqual(8);
    },
  );

  it('GIVEN the reserved slots held WHEN a critical request asks THEN it takes a shared slot', () => {
    expect(expectAdmit(admit(state({ leases: held([8, 9]) }), 'critical')).slot).toBe(0);
  });

  it('GIVEN every slot held WHEN a critical request asks THEN it waits for a lease', () => {
    expect(admit(state({ leases: held([...shared, 8, 9]) }), 'critical')).toMatchObject({
      kind: 'wait',
      reason: 'lease',
    });
  });

  it('GIVEN a shared slot whose lease expired more than the skew ago WHEN a bulk request asks THEN it reclaims that slot', () => {
    const leases = { ...held([0, 1, 2, 3, 5, 6, 7]), 4: lease(now - SKEW) };
    expect(expectAdmit(admit(state({ leases }), 'bulk', now, config, last)).slot).toBe(4);
  });

  it('GIVEN a shared slot whose lease expired within the skew WHEN a bulk request asks THEN it still counts as held', () => {
    const leases = { ...held([0, 1, 2, 3, 5, 6, 7]), 4: lease(now - SKEW + 1) };
    expect(admit(state({ leases }), 'bulk')).toEqual({ kind: 'wait', untilMs: now + 1, reason: 'lease' });
  });

  it('GIVEN two callers that picked the same free slot WHEN the first one is written THEN the second no longer applies', () => {
    const a = expectAdmit(admit(state(), 'bulk', now, config, first));
    const b = expectAdmit(admit(state(), 'bulk', now, config, first));
    expect(patchApplies(applyPatch(state(), a.plan), b.plan)).toBe(false);
  });

  it('GIVEN an open window and two callers that picked different slots WHEN the first one is written THEN the second still applies', () => {
    const open = state({ windowResetAt: now + HOUR, spent: 10 });
    const a = expectAdmit(admit(open, 'bulk', now, config, first));
    const b = expectAdmit(admit(open, 'bulk', now, config, last));
    expect(patchApplies(applyPatch(open, a.plan), b.plan)).toBe(true);
  });

  it('GIVEN no window yet and two callers WHEN the first one opens the window THEN the second re-decides', () => {
    const a = expectAdmit(admit(state(), 'bulk', now, config, first));
    const b = expectAdmit(admit(state(), 'bulk', now, config, last));
    expect(patchApplies(applyPatch(state(), a.plan), b.plan)).toBe(false);
  });
});

describe('decideAdmission: fixed-window budget', () => {
  const resetAt = now + 30 * 60_000;
  const learned = (spent: number, fields: Partial<GateState> = {}) =>
    state({ limit: 100, windowResetAt: resetAt, obsResetAt: resetAt, spent, ...fields });
  const releaseAt = resetAt - config.budget.reserveReleaseMs;
  const rollAt = resetAt + config.budget.resetSkewMs + SKEW;

  // Half the window gone; critical spent 2 so far: its projected need (2 × 2 for the half left, + 2 reserved
  // leases) exceeds the configured 5, so the whole reserve is held until 20 minutes before the reset.
  const busy = (spent: number) => learned(spent, { criticalSpent: 2 });
  const shrinksAt = resetAt - 20 * 60_000;

  it.each<[string, number, Lane, number, Admission['kind'], number | undefined]>([
    ['bulk below L − reserve', 94, 'bulk', now, 'admit', undefined],
    ['bulk at L − reserve', 95, 'bulk', now, 'wait', shrinksAt],
    ['standard at L − reserve', 95, 'standard', now, 'wait', shrinksAt],
    ['bulk at L − reserve once critical’s projected need has shrunk', 95, 'bulk', shrinksAt, 'admit', undefined],
    ['critical inside the reserve', 99, 'critical', now, 'admit', undefined],
    ['critical at L', 100, 'critical', now, 'wait', rollAt],
    ['bulk inside the reserve once it is released', 99, 'bulk', releaseAt, 'admit', undefined],
    ['bulk at L once the reserve is released', 100, 'bulk', releaseAt, 'wait', rollAt],
    ['bulk at L after the reset but within the skew', 100, 'bulk', resetAt, 'wait', rollAt],
  ])(
    'GIVEN limit 100, critical busy and %s (spent %i, %s lane, at %d) WHEN a request asks THEN it is %s until %p',
    (_case, spent, lane, at, kind, untilMs) => {
      const admission = admit(busy(spent), lane, at);
      expect(admission.kind).toBe(kind);
      if (admission.kind === 'wait') expect(admission).toEqual({ kind: 'wait', untilMs, reason: 'budget' });
    },
  );

  it('GIVEN no critical use in this window or the last WHEN bulk has spent all but critical’s reserved leases THEN it waits', () => {
    expect(admit(learned(97)).kind).toBe('admit');
    expect(admit(learned(98))).toMatchObject({ kind: 'wait', reason: 'budget' });
  });

  it('GIVEN critical was busy in the window before WHEN a new window has just opened THEN the whole reserve is held', () => {
    const opened = state({ limit: 100, windowResetAt: now + HOUR, spent: 95, criticalPrevSpent: 20 });
    expect(admit(opened)).toMatchObject({ kind: 'wait', reason: 'budget' });
    expect(admit(opened, 'critical').kind).toBe('admit');
  });

  it('GIVEN a critical admission WHEN it is written THEN it counts in the window’s critical spend', () => {
    const s = busy(10);
    expect(applyPatch(s, expectAdmit(admit(s, 'critical')).plan)).toMatchObject({ spent: 11, criticalSpent: 3 });
  });

  it('GIVEN a bulk admit sized by critical’s use WHEN critical has since been admitted again THEN its write no longer applies', () => {
    const { plan } = expectAdmit(admit(busy(90)));
    expect(patchApplies(busy(90), plan)).toBe(true);
    expect(patchApplies(learned(90, { criticalSpent: 3 }), plan)).toBe(false);
  });

  describe('with a limit learned from 429s (no X-RateLimit-Limit)', () => {
    // Learned 7,000 two windows ago: 7,000 is spent freely, then one request at a time up to 7,070 (1 % more) less
    // critical's reserve (350, held in full while critical is this busy).
    const open = (spent: number, fields: Partial<GateState> = {}) =>
      state({
        windowResetAt: resetAt,
        spent,
        criticalSpent: 200,
        learnedLimit: 7_000,
        learnedLimitAt: now - 2 * HOUR,
        ...fields,
      });

    it('GIVEN no limit known at all WHEN bulk has spent the configured limit × margin less the reserve THEN it waits', () => {
      expect(effectiveLimit(state(), config)).toBe(8_000);
      const unknown = (spent: number) => state({ windowResetAt: resetAt, spent, criticalSpent: 200 });
      expect(admit(unknown(7_599)).kind).toBe('admit');
      expect(admit(unknown(7_600))).toMatchObject({ kind: 'wait', reason: 'budget' });
    });

    it('GIVEN bulk below the learned limit less the reserve WHEN it asks THEN it is admitted alongside other leases', () => {
      const { plan } = expectAdmit(admit(open(6_000, { leases: held([0, 1]) })));
      expect(plan.conditions).toContainEqual({ kind: 'absent-or-below', attribute: 'spent', value: 7_070 - 350 });
    });

    it('GIVEN critical at the learned limit and another lease held WHEN it asks THEN it waits for that lease to end', () => {
      expect(admit(open(7_000, { leases: held([3], now + 2_000) }), 'critical')).toEqual({
        kind: 'wait',
        untilMs: now + 2_000 + SKEW,
        reason: 'lease',
      });
    });

    it('GIVEN critical at the learned limit and no lease held WHEN it asks THEN it probes alone: its write needs every slot free', () => {
      const probing = open(7_000);
      const { plan } = expectAdmit(admit(probing, 'critical'));
      expect(patchApplies(probing, plan)).toBe(true);
      expect(patchApplies(open(7_000, { leases: held([7]) }), plan)).toBe(false);
      expect(patchApplies(open(7_001), plan)).toBe(false);
    });

    it('GIVEN critical at the probe ceiling WHEN it asks THEN it waits for the budget', () => {
      expect(admit(open(7_070), 'critical')).toMatchObject({ kind: 'wait', reason: 'budget' });
    });
  });

  it('GIVEN a window that has rolled over WHEN a request asks THEN it opens a new window conditioned on the old reset', () => {
    const spentOut = learned(100);
    const { plan } = expectAdmit(admit(spentOut, 'bulk', rollAt));
    expect(applyPatch(spentOut, plan)).toMatchObject({ windowResetAt: rollAt + HOUR, spent: 1 });
    expect(plan.conditions).toContainEqual({ kind: 'equals', attribute: 'windowResetAt', value: resetAt });
  });

  it('GIVEN critical spent 7 in a window that has just rolled over WHEN bulk opens the next THEN 7 is the previous window’s count and the new one starts at 0', () => {
    const ended = learned(100, { criticalSpent: 7, criticalPrevSpent: 3 });
    const { plan } = expectAdmit(admit(ended, 'bulk', rollAt));
    expect(applyPatch(ended, plan)).toMatchObject({ criticalSpent: 0, criticalPrevSpent: 7 });
  });

  it('GIVEN a window that ended more than a window ago WHEN critical opens the next THEN no previous critical use is carried over', () => {
    const old = learned(100, { criticalSpent: 7 });
    const { plan } = expectAdmit(admit(old, 'critical', resetAt + 2 * HOUR));
    expect(applyPatch(old, plan)).toMatchObject({ criticalSpent: 1, criticalPrevSpent: 0 });
  });

  it('GIVEN an admit decided with budget left WHEN concurrent admits have since spent it THEN its write no longer applies', () => {
    const { plan } = expectAdmit(admit(busy(90)));
    expect(patchApplies(busy(94), plan)).toBe(true);
    expect(patchApplies(busy(95), plan)).toBe(false);
  });

  it('GIVEN an admit decided on one learned limit WHEN a different limit has since been learned THEN its write no longer applies', () => {
    const { plan } = expectAdmit(admit(learned(10)));
    expect(patchApplies(learned(10, { limit: 50 }), plan)).toBe(false);
  });

  it('GIVEN a budget wait and a shorter cool-down WHEN a request asks THEN it waits for the later of the two', () => {
    const admission = admit(learned(100, { cooldownUntil: now + 1_000 }), 'critical');
    expect(admission).toEqual({ kind: 'wait', untilMs: rollAt, reason: 'budget' });
  });

  it('GIVEN limit 100 and 40 spent WHEN the remaining budget is estimated THEN it is 60', () => {
    expect(estimateRemaining(learned(40), now, config)).toBe(60);
  });
});

describe('decideAdmission: leaky-bucket budget', () => {
  // Limit 100 per hour: one request per 36 s; reserve 5, so bulk may run 94 intervals ahead, critical 99.
  const T = 36_000;
  const bucket = (tat: number | undefined) => state({ limit: 100, ...(tat === undefined ? {} : { tat }) });

  it.each<[string, number | undefined, Lane, Admission['kind'], number | undefined]>([
    ['an empty bucket', undefined, 'bulk', 'admit', undefined],
    ['a drained bucket', now - 5 * T, 'bulk', 'admit', undefined],
    ['bulk at its burst tolerance', now + 94 * T, 'bulk', 'admit', undefined],
    ['bulk beyond its burst tolerance', now + 95 * T, 'bulk', 'wait', now + T],
    ['critical inside the reserve depth', now + 99 * T, 'critical', 'admit', undefined],
    ['critical beyond the full depth', now + 100 * T, 'critical', 'wait', now + T],
  ])('GIVEN %s (tat %p, %s lane) WHEN a request asks THEN it is %s until %p', (_case, tat, lane, kind, untilMs) => {
    const admission = admit(bucket(tat), lane, now, leaky);
    expect(admission.kind).toBe(kind);
    if (admission.kind === 'wait') expect(admission).toEqual({ kind: 'wait', untilMs, reason: 'budget' });
  });

  it.each([
    ['an empty bucket', undefined, now + T],
    ['a busy bucket', now + 10 * T, now + 11 * T],
  ])('GIVEN %s WHEN admitted THEN the arrival time moves one interval past max(tat, now)', (_case, tat, expected) => {
    const s = bucket(tat);
    const { plan } = expectAdmit(admit(s, 'bulk', now, leaky));
    expect(applyPatch(s, plan).tat).toBe(expected);
  });

  it('GIVEN an admit decided near the tolerance WHEN concurrent admits have since filled the bucket THEN its write no longer applies', () => {
    const { plan } = expectAdmit(admit(bucket(now + 90 * T), 'bulk', now, leaky));
    expect(patchApplies(bucket(now + 94 * T), plan)).toBe(true);
    expect(patchApplies(bucket(now + 95 * T), plan)).toBe(false);
  });
});

describe('decideAdmission: a learned in-flight limit', () => {
  it('GIVEN a learned limit of 3 and 3 leases held WHEN a bulk request asks THEN it waits for a lease though slots are free', () => {
    const limited = state({ inFlightLimit: 3, leases: held([0, 1, 2], now + 4_000) });
    expect(admit(limited, 'bulk')).toEqual({ kind: 'wait', untilMs: now + 4_000 + SKEW, reason: 'lease' });
  });

  it('GIVEN a learned limit of 3 WHEN bulk asks with every random pick THEN it only ever takes one of the first two slots', () => {
    // Limit 3 keeps min(2, 3 − 1) = 2 slots for critical: the other lanes share 3 − 2 = 1… at least one.
    const picks = [first, () => 0.5, last].map(
      (random) => expectAdmit(admit(state({ inFlightLimit: 3 }), 'bulk', now, config, random)).slot,
    );
    expect(new Set(picks)).toEqual(new Set([0]));
  });

  it('GIVEN a learned limit of 1 WHEN critical asks THEN it shares the single slot with the other lanes', () => {
    expect(expectAdmit(admit(state({ inFlightLimit: 1 }), 'critical')).slot).toBe(0);
  });

  it('GIVEN an admit decided without a learned limit WHEN a 429 has since lowered it THEN its write no longer applies', () => {
    const { plan } = expectAdmit(admit(state()));
    expect(patchApplies(state({ inFlightLimit: 5 }), plan)).toBe(false);
  });
});
