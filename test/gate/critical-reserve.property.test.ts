import fc from 'fast-check';
import { budgetReserve, decideAdmission, effectiveLimit, heldReserve } from '../../lambdas/gate/admission';
import { applyPatch, patchApplies } from '../../lambdas/gate/patch';
import type { GateState } from '../../lambdas/gate/types';
import type { GateConfig } from '../../lambdas/shared/config';
import type { Lane } from '../../lambdas/shared/names';
import { resolveGateSettings } from '../../lib/settings';

// A learned limit of 200 per hour with a 10% critical reserve (20 requests), released 60 s before the reset.
const base = resolveGateSettings({ criticalBudgetShare: 0.1 }).gate;
const config: GateConfig = base;
const HOUR = 3_600_000;
const start = Date.UTC(2026, 0, 15, 12, 0, 0);
const resetAt = start + HOUR;
const LIMIT = 200;

/** A window opened at `start`, with what has been spent in it, by critical in it and in the window before. */
const windowState = fc.record({
  spent: fc.integer({ min: 0, max: LIMIT }),
  criticalSpent: fc.integer({ min: 0, max: 60 }),
  criticalPrevSpent: fc.integer({ min: 0, max: 200 }),
});
const during = fc.integer({ min: start, max: resetAt - 1 });
const lanes = fc.constantFrom<Lane>('critical', 'standard', 'bulk');

const stateOf = (fields: { spent: number; criticalSpent: number; criticalPrevSpent: number }): GateState => ({
  leases: {},
  limit: LIMIT,
  windowResetAt: resetAt,
  obsResetAt: resetAt,
  ...fields,
});

describe('the critical reserve decays with what critical uses', () => {
  it('GIVEN any window state and time WHEN the held reserve is computed THEN it never exceeds the configured share', () => {
    fc.assert(
      fc.property(windowState, during, (fields, now) => {
        const state = stateOf(fields);
        expect(heldReserve(state, now, config)).toBeLessThanOrEqual(
          budgetReserve(effectiveLimit(state, config), config),
        );
      }),
    );
  });

  it('GIVEN no critical use between two moments of a window WHEN time passes THEN the held reserve never grows', () => {
    fc.assert(
      fc.property(windowState, during, during, (fields, a, b) => {
        const state = stateOf(fields);
        const [earlier, later] = a <= b ? [a, b] : [b, a];
        expect(heldReserve(state, later, config)).toBeLessThanOrEqual(heldReserve(state, earlier, config));
      }),
    );
  });

  it('GIVEN any window state WHEN bulk asks THEN it is admitted exactly while it leaves critical its projected need', () => {
    fc.assert(
      fc.property(windowState, during, fc.constantFrom<Lane>('standard', 'bulk'), (fields, now, lane) => {
        const state = stateOf(fields);
        const admission = decideAdmission(state, { lane, now }, config);
        const room = fields.spent < LIMIT - heldReserve(state, now, config);
        expect(admission.kind === 'admit').toBe(room);
      }),
    );
  });

  it('GIVEN any window state with budget left WHEN critical asks THEN it is never refused', () => {
    fc.assert(
      fc.property(windowState, during, (fields, now) => {
        fc.pre(fields.spent < LIMIT);
        expect(decideAdmission(stateOf(fields), { lane: 'critical', now }, config).kind).toBe('admit');
      }),
    );
  });

  it('GIVEN bulk blocked only by the reserve WHEN it is told to wait THEN it is admitted at that time and not a millisecond before', () => {
    fc.assert(
      fc.property(windowState, during, (fields, now) => {
        const state = stateOf(fields);
        const admission = decideAdmission(state, { lane: 'bulk', now }, config);
        fc.pre(admission.kind === 'wait' && fields.spent < LIMIT);
        if (admission.kind !== 'wait') return;
        expect(decideAdmission(state, { lane: 'bulk', now: admission.untilMs }, config).kind).toBe('admit');
        if (admission.untilMs - 1 > now) {
          expect(decideAdmission(state, { lane: 'bulk', now: admission.untilMs - 1 }, config).kind).toBe('wait');
        }
      }),
    );
  });

  it('GIVEN callers deciding on stale images WHEN their writes race THEN none overspends the allowance the true state gives it', () => {
    // Each step: a caller decides on its last image at a time; its write applies only if its conditions hold on
    // the true state, and either way it then sees the true state (as a write's returned image shows it).
    const step = fc.record({ caller: fc.integer({ min: 0, max: 3 }), lane: lanes, advanceMs: fc.nat(60_000) });
    const quiet = fc.record({
      spent: fc.integer({ min: LIMIT - 40, max: LIMIT }),
      criticalSpent: fc.integer({ min: 0, max: 6 }),
      criticalPrevSpent: fc.integer({ min: 0, max: 10 }),
    });
    fc.assert(
      fc.property(quiet, during, fc.array(step, { minLength: 1, maxLength: 80 }), (fields, from, steps) => {
        let truth = stateOf(fields);
        const views: GateState[] = [truth, truth, truth, truth];
        let now = from;
        for (const { caller, lane, advanceMs } of steps) {
          now = Math.min(resetAt - 1, now + advanceMs);
          const admission = decideAdmission(views[caller] as GateState, { lane, now }, config);
          if (admission.kind === 'admit' && patchApplies(truth, admission.plan)) {
            const allowance = lane === 'critical' ? LIMIT : LIMIT - heldReserve(truth, now, config);
            expect(truth.spent ?? 0).toBeLessThan(allowance);
            // Free the slot again: the property is about the budget, not about leases.
            truth = { ...applyPatch(truth, admission.plan), leases: {} };
          }
          views[caller] = truth;
        }
        expect(truth.spent ?? 0).toBeLessThanOrEqual(LIMIT);
      }),
    );
  });
});
