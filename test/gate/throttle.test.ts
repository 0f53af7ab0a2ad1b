import { decideAdmission } from '../../lambdas/gate/admission';
import { formatLease } from '../../lambdas/gate/lease';
import { applyPatch, patchApplies } from '../../lambdas/gate/patch';
import { decideRelease } from '../../lambdas/gate/release';
import type { GateState, ReleaseOutcome } from '../../lambdas/gate/types';
import type { GateConfig } from '../../lambdas/shared/config';
import { resolveGateSettings } from '../../lib/settings';

// Default cool-down 60 s, escalation cap 16 × 60 s, quiet window 60 s; cap 10 leases living 30 s.
const config: GateConfig = resolveGateSettings().gate;
const DEFAULT = config.cooldown.defaultWaitMs;
const QUIET = DEFAULT;
const now = Date.UTC(2026, 0, 15, 12, 0, 0);
const top = () => 0.999_999;
const bottom = () => 0;

/** Our lease in slot 2, admitted at `admittedAt`. */
const leaseAdmittedAt = (admittedAt: number) => formatLease(admittedAt + config.leases.ttlMs, 'ours');
const holding = (fields: Partial<GateState> = {}, admittedAt = now - 100): GateState => ({
  leases: { 2: { expiresAt: admittedAt + config.leases.ttlMs, token: leaseAdmittedAt(admittedAt) } },
  ...fields,
});
const outcome = (fields: Partial<ReleaseOutcome> = {}, admittedAt = now - 100): ReleaseOutcome => ({
  status: 429,
  lane: 'bulk',
  slot: 2,
  leaseToken: leaseAdmittedAt(admittedAt),
  now,
  ...fields,
});
const released = (
  state: GateState,
  fields: Partial<ReleaseOutcome> = {},
  random = top,
  admittedAt = now - 100,
): GateState => {
  const patch = decideRelease(state, outcome(fields, admittedAt), config, random);
  expect(patchApplies(state, patch)).toBe(true);
  return applyPatch(state, patch);
};

describe('decideRelease: 429s that state no wait escalate the shared cool-down', () => {
  it('GIVEN the first such 429 WHEN released THEN the cool-down is the default wait and the streak is 1', () => {
    expect(released(holding())).toMatchObject({ cooldownUntil: now + DEFAULT, throttleStreak: 1, throttledAt: now });
  });

  it.each([
    [1, 2 * DEFAULT],
    [2, 4 * DEFAULT],
    [4, 16 * DEFAULT],
    [9, 16 * DEFAULT],
  ])(
    'GIVEN a streak of %i WHEN another arrives right after the cool-down THEN the jitter ceiling is %i ms',
    (streak, ceiling) => {
      const state = holding({ throttleStreak: streak, throttledAt: now - 5_000, cooldownUntil: now - 1_000 });
      expect(released(state, {}, top).cooldownUntil).toBe(now + Math.floor(0.999_999 * ceiling));
    },
  );

  it('GIVEN a streak of 3 and a random draw of 0 WHEN released THEN the jitter never goes below the default wait', () => {
    const state = holding({ throttleStreak: 3, throttledAt: now - 5_000, cooldownUntil: now - 1_000 });
    expect(released(state, {}, bottom).cooldownUntil).toBe(now + DEFAULT);
  });

  it('GIVEN a streak whose last cool-down ended a quiet window ago WHEN another arrives THEN the streak starts over', () => {
    const state = holding({ throttleStreak: 4, throttledAt: now - 3 * QUIET, cooldownUntil: now - QUIET });
    expect(released(state)).toMatchObject({ throttleStreak: 1, cooldownUntil: now + DEFAULT });
  });

  it('GIVEN a request admitted before the last 429 WHEN its own 429 arrives THEN the streak does not grow again', () => {
    const state = holding({ throttleStreak: 2, throttledAt: now - 50, cooldownUntil: now + 100_000 }, now - 100);
    const after = released(state);
    expect(after).toMatchObject({ throttleStreak: 2, throttledAt: now - 50, cooldownUntil: now + 100_000 });
  });

  it('GIVEN a streak WHEN a request admitted after the 429 succeeds THEN the streak ends', () => {
    const state = holding({ throttleStreak: 3, throttledAt: now - 5_000 });
    expect(released(state, { status: 200 }).throttleStreak).toBeUndefined();
  });

  it('GIVEN a 429 with Retry-After WHEN released THEN the stated wait is used without escalating', () => {
    const after = released(holding({ throttleStreak: 3, throttledAt: now - 5_000 }), {
      headers: { 'retry-after': '7' },
    });
    expect(after).toMatchObject({ cooldownUntil: now + 7_000, throttleStreak: 3 });
  });

  it('GIVEN an escalation decided on a streak WHEN another dispatcher has since raised it THEN the write no longer applies', () => {
    const state = holding({ throttleStreak: 1, throttledAt: now - 5_000, cooldownUntil: now - 1_000 });
    const patch = decideRelease(state, outcome(), config, top);
    expect(patchApplies({ ...state, throttleStreak: 2 }, patch)).toBe(false);
  });
});

describe('decideRelease: the shared in-flight limit (AIMD)', () => {
  it('GIVEN the full cap of 10 WHEN a 429 is released THEN the limit halves to 5', () => {
    expect(released(holding())).toMatchObject({ inFlightLimit: 5, inFlightLimitAt: now });
  });

  it('GIVEN a limit of 1 WHEN another 429 is released THEN it stays 1', () => {
    const state = holding({ inFlightLimit: 1, inFlightLimitAt: now - 5_000, throttledAt: now - 5_000 });
    expect(released(state).inFlightLimit).toBe(1);
  });

  it('GIVEN a limit of 5 halved by a 429 WHEN a request admitted before it gets a 429 THEN the limit is not halved again', () => {
    const state = holding({ inFlightLimit: 5, inFlightLimitAt: now - 50, throttledAt: now - 50 }, now - 100);
    expect(released(state).inFlightLimit).toBe(5);
  });

  it('GIVEN a limit of 5 WHEN a 2xx arrives a quiet window after the change and the cool-down THEN the limit is 6', () => {
    const state = holding({ inFlightLimit: 5, inFlightLimitAt: now - QUIET - 1, cooldownUntil: now - QUIET - 1 });
    expect(released(state, { status: 200 })).toMatchObject({ inFlightLimit: 6, inFlightLimitAt: now });
  });

  it('GIVEN a limit of 5 WHEN a 2xx arrives within the quiet window THEN the limit stays 5', () => {
    const state = holding({ inFlightLimit: 5, inFlightLimitAt: now - QUIET + 1_000 });
    expect(released(state, { status: 200 }).inFlightLimit).toBe(5);
  });

  it('GIVEN a limit one below the cap WHEN a quiet window passes THEN the limit is the cap again and no longer stored', () => {
    const state = holding({ inFlightLimit: 9, inFlightLimitAt: now - QUIET - 1 });
    const after = released(state, { status: 200 });
    expect([after.inFlightLimit, after.inFlightLimitAt]).toEqual([undefined, undefined]);
  });

  it('GIVEN a limit raised by one release WHEN a concurrent release decided on the same state is written THEN it no longer applies', () => {
    const state = holding({ inFlightLimit: 5, inFlightLimitAt: now - QUIET - 1 });
    const first = decideRelease(state, outcome({ status: 200 }), config);
    const second = decideRelease(state, outcome({ status: 200 }), config);
    expect(patchApplies(applyPatch(state, first), second)).toBe(false);
  });

  it('GIVEN a limit of 5 halved from 10 WHEN every lane asks repeatedly THEN 5 leases are taken in all, 2 of them critical', () => {
    let state: GateState = { ...released(holding()), cooldownUntil: undefined, leases: {} };
    const taken: string[] = [];
    for (const lane of ['bulk', 'standard', 'critical'] as const) {
      for (let i = 0; i < 10; i++) {
        const admission = decideAdmission(state, { lane, now: now + 5_000 }, config, bottom);
        if (admission.kind !== 'admit') break;
        state = applyPatch(state, admission.plan, `${lane}${i}`);
        taken.push(lane);
      }
    }
    expect(taken).toEqual(['bulk', 'bulk', 'bulk', 'critical', 'critical']);
  });
});

describe('decideRelease: Outreach maintenance (503 with Retry-After)', () => {
  const maintenance = { status: 503, headers: { 'retry-after': '120' } } as const;

  it('GIVEN a 503 with a Retry-After WHEN released THEN everyone cools down until then', () => {
    expect(released(holding(), maintenance).cooldownUntil).toBe(now + 120_000);
  });

  it('GIVEN a 503 with a Retry-After WHEN released THEN it counts no failure towards the circuit', () => {
    expect(released(holding({ consecutiveFailures: 2 }), maintenance).consecutiveFailures).toBe(2);
  });

  it('GIVEN a 503 with a Retry-After WHEN released THEN the in-flight limit is not lowered', () => {
    expect(released(holding(), maintenance).inFlightLimit).toBeUndefined();
  });

  it('GIVEN a 503 without a Retry-After WHEN released THEN it is a failure and no cool-down', () => {
    const after = released(holding({ consecutiveFailures: 2 }), { status: 503 });
    expect([after.consecutiveFailures, after.cooldownUntil]).toEqual([3, undefined]);
  });
});
