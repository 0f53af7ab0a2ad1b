import { formatLease } from '../../lambdas/gate/lease';
import { applyObservation } from '../../lambdas/gate/observation';
import { applyPatch, patchApplies } from '../../lambdas/gate/patch';
import type { GateState, RateLimitObservation } from '../../lambdas/gate/types';
import type { GateConfig } from '../../lambdas/shared/config';
import { resolveGateSettings } from '../../lib/settings';

const config: GateConfig = resolveGateSettings().gate;
const leaky: GateConfig = { ...config, budget: { ...config.budget, refill: 'leaky-bucket' } };
const now = Date.UTC(2026, 0, 15, 12, 0, 0);
const R1 = now + 10 * 60_000;
const R2 = now + 70 * 60_000;

const obs = (fields: Omit<RateLimitObservation, 'observedAt'>, observedAt = now): RateLimitObservation => ({
  ...fields,
  observedAt,
});
const inWindow = (resetAt: number, spent: number, fields: Partial<GateState> = {}): GateState => ({
  leases: {},
  limit: 100,
  windowResetAt: resetAt,
  obsResetAt: resetAt,
  spent,
  ...fields,
});

/** Applies observations one after another, as releases would, checking each patch applies where decided. */
function observeAll(start: GateState, observations: readonly RateLimitObservation[], cfg = config): GateState {
  return observations.reduce((state, observation) => {
    const patch = applyObservation(state, observation, cfg);
    if (patch === undefined) return state;
    expect(patchApplies(state, patch)).toBe(true);
    return applyPatch(state, patch);
  }, start);
}

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

describe('applyObservation (fixed window)', () => {
  it('GIVEN a current window WHEN a response reports a later reset THEN that window starts with what Outreach says was spent', () => {
    const after = observeAll(inWindow(R1, 80), [obs({ limit: 100, remaining: 97, resetAtMs: R2 })]);
    expect(after).toMatchObject({ windowResetAt: R2, obsResetAt: R2, spent: 3, limit: 100 });
  });

  it('GIVEN a current window WHEN a response of the same window reports more spent than we counted THEN spent rises', () => {
    expect(observeAll(inWindow(R1, 10), [obs({ limit: 100, remaining: 60, resetAtMs: R1 })]).spent).toBe(40);
  });

  it('GIVEN a current window WHEN a response of the same window reports less spent than we counted THEN nothing changes', () => {
    expect(
      applyObservation(inWindow(R1, 50), obs({ limit: 100, remaining: 60, resetAtMs: R1 }), config),
    ).toBeUndefined();
  });

  it('GIVEN a current window WHEN a response reports an older reset THEN it is ignored', () => {
    expect(applyObservation(inWindow(R2, 5), obs({ limit: 100, remaining: 0, resetAtMs: R1 }), config)).toBeUndefined();
  });

  it('GIVEN nothing learned yet WHEN the first response arrives THEN the limit and the window are learned', () => {
    const after = observeAll({ leases: {} }, [obs({ limit: 10_000, remaining: 9_990, resetAtMs: R1 })]);
    expect(after).toMatchObject({ limit: 10_000, windowResetAt: R1, obsResetAt: R1, spent: 10 });
  });

  it('GIVEN a window the gate opened itself after the last reported one WHEN a late response of the old window arrives THEN it is ignored', () => {
    const guessed = inWindow(now + 60 * 60_000, 7, { obsResetAt: now - 5_000 });
    expect(
      applyObservation(guessed, obs({ limit: 100, remaining: 0, resetAtMs: now - 5_000 }), config),
    ).toBeUndefined();
  });

  it('GIVEN a response from a window that had ended when it arrived WHEN observed THEN only the newest known reset moves', () => {
    const guessed = inWindow(now + 60 * 60_000, 7, { obsResetAt: now - 60_000 });
    const after = observeAll(guessed, [obs({ limit: 100, remaining: 0, resetAtMs: now - 30_000 })]);
    expect(after).toMatchObject({ windowResetAt: now + 60 * 60_000, spent: 7, obsResetAt: now - 30_000 });
  });

  it('GIVEN a response without a reset WHEN it reports a new limit THEN only the limit is learned', () => {
    const after = observeAll(inWindow(R1, 10), [obs({ limit: 500, remaining: 1 })]);
    expect(after).toMatchObject({ limit: 500, spent: 10, windowResetAt: R1 });
  });

  it('GIVEN a new-window patch WHEN a newer reset has been recorded meanwhile THEN the patch no longer applies', () => {
    const patch = applyObservation(inWindow(R1, 10), obs({ limit: 100, remaining: 99, resetAtMs: R2 }), config);
    expect(patch && patchApplies(inWindow(R2 + 1_000, 1), patch)).toBe(false);
  });

  it('GIVEN a raise-spent patch WHEN admissions have meanwhile counted past it THEN the patch no longer applies', () => {
    const patch = applyObservation(inWindow(R1, 10), obs({ limit: 100, remaining: 70, resetAtMs: R1 }), config);
    expect(patch && patchApplies(inWindow(R1, 31), patch)).toBe(false);
  });

  it('GIVEN the same observations WHEN applied in every order THEN the final state is the same', () => {
    const start = inWindow(R1, 20, { leases: { 3: { expiresAt: now + 1, token: formatLease(now + 1, 'x') } } });
    const observations = [
      obs({ limit: 100, remaining: 75, resetAtMs: R1 }),
      obs({ limit: 100, remaining: 70, resetAtMs: R1 }, now + 1_000),
      obs({ limit: 100, remaining: 98, resetAtMs: R2 }, now + 2_000),
      obs({ limit: 100, remaining: 95, resetAtMs: R2 }, now + 3_000),
      obs({ limit: 100, remaining: 10, resetAtMs: R1 - 3_600_000 }, now + 4_000),
    ];
    const finals = permutations(observations).map((order) => observeAll(start, order));
    expect(finals).toHaveLength(120);
    for (const final of finals) expect(final).toEqual(finals[0]);
    expect(finals[0]).toMatchObject({ windowResetAt: R2, obsResetAt: R2, spent: 5 });
  });
});

describe('applyObservation (fixed window): matching a window robustly', () => {
  it.each([
    ['700 ms later', R1 + 700],
    ['800 ms earlier', R1 - 800],
  ])(
    'GIVEN a reported window WHEN a seconds-until Reset computes to %s THEN it raises spent in that window',
    (_case, resetAtMs) => {
      const after = observeAll(inWindow(R1, 10), [obs({ limit: 100, remaining: 60, resetAtMs })]);
      expect(after).toMatchObject({ windowResetAt: R1, obsResetAt: R1, spent: 40 });
    },
  );

  it('GIVEN a reported window WHEN a Reset computes a little later with less spent THEN spent is not overwritten', () => {
    expect(
      applyObservation(inWindow(R1, 50), obs({ limit: 100, remaining: 95, resetAtMs: R1 + 900 }), config),
    ).toBeUndefined();
  });

  it('GIVEN 4 other leases in flight WHEN a response opens a new window THEN spent counts them on top of what Outreach reports', () => {
    const patch = applyObservation(inWindow(R1, 80), obs({ limit: 100, remaining: 97, resetAtMs: R2 }), config, {
      othersInFlight: 4,
    });
    expect(patch?.set).toMatchObject({ windowResetAt: R2, spent: 7 });
  });

  it('GIVEN critical spent 6 in the known window WHEN a response opens a newer one THEN critical’s count starts over and 6 becomes the previous window’s', () => {
    const start = inWindow(R1, 80, { criticalSpent: 6, criticalPrevSpent: 2 });
    const after = observeAll(start, [obs({ limit: 100, remaining: 97, resetAtMs: R2 })]);
    expect(after).toMatchObject({ windowResetAt: R2, criticalSpent: 0, criticalPrevSpent: 6 });
  });

  it('GIVEN a window the gate opened on its own guess WHEN the first report of the real window arrives THEN critical’s count in it is kept', () => {
    const guessed = inWindow(now + 50 * 60_000, 30, { obsResetAt: now - 10 * 60_000, criticalSpent: 4 });
    const after = observeAll(guessed, [obs({ limit: 100, remaining: 88, resetAtMs: R1 })]);
    expect(after).toMatchObject({ windowResetAt: R1, criticalSpent: 4 });
  });

  it('GIVEN a window the gate opened on its own guess with 30 admitted WHEN the first report of the real window says 12 THEN spent stays 30', () => {
    const guessed = inWindow(now + 50 * 60_000, 30, { obsResetAt: now - 10 * 60_000 });
    const after = observeAll(guessed, [obs({ limit: 100, remaining: 88, resetAtMs: R1 })]);
    expect(after).toMatchObject({ windowResetAt: R1, obsResetAt: R1, spent: 30 });
  });

  it('GIVEN a guessed window that counted 30 admissions, 3 still in flight WHEN Outreach reports all 30 THEN spent stays 30, not 33', () => {
    const guessed = inWindow(now + 50 * 60_000, 30, { obsResetAt: now - 10 * 60_000 });
    const patch = applyObservation(guessed, obs({ limit: 100, remaining: 70, resetAtMs: R1 }), config, {
      othersInFlight: 3,
    });
    expect(patch?.set).toMatchObject({ windowResetAt: R1, spent: 30 });
  });

  it('GIVEN a guessed window that counted fewer than Outreach reports WHEN the report arrives THEN spent is the report plus the leases in flight', () => {
    const guessed = inWindow(now + 50 * 60_000, 5, { obsResetAt: now - 10 * 60_000 });
    const patch = applyObservation(guessed, obs({ limit: 100, remaining: 80, resetAtMs: R1 }), config, {
      othersInFlight: 3,
    });
    expect(patch?.set).toMatchObject({ windowResetAt: R1, spent: 23 });
  });

  it('GIVEN a new-window patch WHEN an admission has since counted one more THEN it no longer applies', () => {
    const patch = applyObservation(inWindow(R1, 80), obs({ limit: 100, remaining: 97, resetAtMs: R2 }), config);
    expect(patch && patchApplies(inWindow(R1, 81), patch)).toBe(false);
  });
});

describe('applyObservation (leaky bucket)', () => {
  const T = 36_000; // limit 100 per hour

  it('GIVEN an empty bucket WHEN Outreach reports 10 used THEN the arrival time moves 10 intervals ahead', () => {
    const after = observeAll({ leases: {}, limit: 100 }, [obs({ limit: 100, remaining: 90 })], leaky);
    expect(after.tat).toBe(now + 10 * T);
  });

  it('GIVEN a fuller bucket than reported WHEN observed THEN the arrival time does not move back', () => {
    expect(
      applyObservation({ leases: {}, limit: 100, tat: now + 20 * T }, obs({ limit: 100, remaining: 90 }), leaky),
    ).toBeUndefined();
  });

  it('GIVEN the same observations WHEN applied in every order THEN the final state is the same', () => {
    const observations = [
      obs({ limit: 100, remaining: 90 }),
      obs({ limit: 100, remaining: 80 }, now + 1_000),
      obs({ limit: 100, remaining: 95 }, now + 2_000),
    ];
    const finals = permutations(observations).map((order) => observeAll({ leases: {}, limit: 100 }, order, leaky));
    for (const final of finals) expect(final).toEqual(finals[0]);
    expect(finals[0]?.tat).toBe(now + 1_000 + 20 * T);
  });
});
