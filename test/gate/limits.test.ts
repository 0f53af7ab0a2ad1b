import { decideAdmission } from '../../lambdas/gate/admission';
import { formatLease } from '../../lambdas/gate/lease';
import { budgetLimits, confirmOnRollover, learnLimitFrom429 } from '../../lambdas/gate/limits';
import { applyPatch, patchApplies } from '../../lambdas/gate/patch';
import { decideRelease } from '../../lambdas/gate/release';
import type { GateState } from '../../lambdas/gate/types';
import type { GateConfig } from '../../lambdas/shared/config';
import { resolveGateSettings } from '../../lib/settings';

// Configured 1,000 per hour, spent freely up to 800 (the 0.8 margin) until something is learned.
const config: GateConfig = resolveGateSettings({ budgetPerWindow: 1_000 }).gate;
const HOUR = 3_600_000;
const now = Date.UTC(2026, 0, 15, 12, 0, 0);
const resetAt = now + 30 * 60_000;
const windowStart = resetAt - HOUR;
const state = (fields: Partial<GateState> = {}): GateState => ({ leases: {}, ...fields });

describe('budgetLimits', () => {
  it('GIVEN a limit Outreach reported and one learned WHEN the limits are read THEN the reported one wins', () => {
    expect(budgetLimits(state({ limit: 300, learnedLimit: 100 }), now, config)).toEqual({
      confirmed: 300,
      ceiling: 300,
    });
  });

  it('GIVEN nothing known WHEN the limits are read THEN the configured limit × the margin is spent and nothing more', () => {
    expect(budgetLimits(state(), now, config)).toEqual({ confirmed: 800, ceiling: 800 });
  });

  it('GIVEN a limit learned less than a window ago WHEN the limits are read THEN nothing above it is probed', () => {
    expect(budgetLimits(state({ learnedLimit: 600, learnedLimitAt: now - HOUR + 1 }), now, config)).toEqual({
      confirmed: 600,
      ceiling: 600,
    });
  });

  it('GIVEN a limit learned a window ago WHEN the limits are read THEN 1 % above it is probed', () => {
    expect(budgetLimits(state({ learnedLimit: 600, learnedLimitAt: now - HOUR }), now, config)).toEqual({
      confirmed: 600,
      ceiling: 606,
    });
  });

  it('GIVEN a learned limit just below the configured one WHEN probed THEN the ceiling stops at the configured limit', () => {
    expect(budgetLimits(state({ learnedLimit: 995, learnedLimitAt: now - 2 * HOUR }), now, config).ceiling).toBe(1_000);
  });
});

describe('learnLimitFrom429', () => {
  const open = (fields: Partial<GateState> = {}) => state({ windowResetAt: resetAt, spent: 640, ...fields });

  it('GIVEN the first 429 of a window with 2 other requests in flight WHEN learned THEN the limit is what was spent less them and itself', () => {
    const patch = learnLimitFrom429(open(), now, 2, config);
    expect(patch?.set).toEqual({ learnedLimit: 637, learnedLimitAt: now });
  });

  it('GIVEN a limit already learned in this window WHEN another 429 arrives THEN nothing more is learned', () => {
    expect(learnLimitFrom429(open({ learnedLimit: 637, learnedLimitAt: now - 1_000 }), now, 0, config)).toBeUndefined();
  });

  it('GIVEN a 429 early in the window WHEN learned THEN the limit falls at most to half of what was spent freely', () => {
    expect(learnLimitFrom429(open({ spent: 10 }), now, 0, config)?.set).toMatchObject({ learnedLimit: 400 });
  });

  it('GIVEN a limit Outreach reported WHEN a 429 arrives THEN nothing is learned', () => {
    expect(learnLimitFrom429(open({ limit: 1_000 }), now, 0, config)).toBeUndefined();
  });

  it('GIVEN a leaky bucket WHEN a 429 arrives THEN nothing is learned', () => {
    const leaky: GateConfig = { ...config, budget: { ...config.budget, refill: 'leaky-bucket' } };
    expect(learnLimitFrom429(open(), now, 0, leaky)).toBeUndefined();
  });

  it('GIVEN a 429 without rate-limit headers WHEN its lease is released THEN the gate item learns the limit', () => {
    const token = formatLease(now - 100 + config.leases.ttlMs, 'ours');
    const held = open({ leases: { 0: { expiresAt: now - 100 + config.leases.ttlMs, token } } });
    const patch = decideRelease(held, { status: 429, lane: 'bulk', slot: 0, leaseToken: token, now }, config);
    expect(patchApplies(held, patch)).toBe(true);
    expect(applyPatch(held, patch)).toMatchObject({ learnedLimit: 639, learnedLimitAt: now });
  });
});

describe('confirmOnRollover', () => {
  it('GIVEN a first window that spent the margin without a 429 WHEN it rolls over THEN the configured limit is learned', () => {
    const patch = confirmOnRollover(state({ windowResetAt: resetAt, spent: 800 }), config);
    expect(patch?.set).toEqual({ learnedLimit: 1_000, learnedLimitAt: windowStart });
  });

  it('GIVEN a window whose probes passed a learned limit without a 429 WHEN it rolls over THEN what it spent is learned', () => {
    const probed = state({ windowResetAt: resetAt, spent: 606, learnedLimit: 600, learnedLimitAt: windowStart - HOUR });
    expect(confirmOnRollover(probed, config)?.set).toEqual({ learnedLimit: 606, learnedLimitAt: windowStart });
  });

  it('GIVEN a window in which a 429 taught the limit WHEN it rolls over THEN nothing more is learned', () => {
    const taught = state({ windowResetAt: resetAt, spent: 990, learnedLimit: 700, learnedLimitAt: now });
    expect(confirmOnRollover(taught, config)).toBeUndefined();
  });

  it('GIVEN a first window that did not reach the margin WHEN it rolls over THEN nothing is learned', () => {
    expect(confirmOnRollover(state({ windowResetAt: resetAt, spent: 799 }), config)).toBeUndefined();
  });
});

/**
 * One user's requests, one at a time, against a fixed-window Outreach with a hidden limit that sends no rate-limit
 * headers: each window's 429s and successes. Windows are anchored at the first request, as Outreach's are.
 */
function run(hiddenLimit: number, windows: number): { ok: number; throttled: number }[] {
  const requestMs = 1_000;
  let gate: GateState = state();
  let at = now;
  let outreach: { start: number; count: number } | undefined;
  const perWindow: { ok: number; throttled: number }[] = [];
  while (perWindow.length <= windows) {
    const admission = decideAdmission(gate, { lane: 'bulk', now: at }, config);
    if (admission.kind === 'wait') {
      at = Math.max(at + 1, admission.untilMs);
      continue;
    }
    gate = applyPatch(gate, admission.plan, `o${at}`);
    if (outreach === undefined || at >= outreach.start + HOUR) {
      outreach = { start: at, count: 0 };
      perWindow.push({ ok: 0, throttled: 0 });
    }
    const window = perWindow[perWindow.length - 1] as { ok: number; throttled: number };
    const status = outreach.count < hiddenLimit ? 200 : 429;
    if (status === 200) {
      outreach.count += 1;
      window.ok += 1;
    } else window.throttled += 1;
    at += requestMs;
    const token = gate.leases[admission.slot]?.token as string;
    const release = decideRelease(
      gate,
      { status, headers: {}, lane: 'bulk', slot: admission.slot, leaseToken: token, now: at },
      config,
      () => 0,
    );
    gate = applyPatch(gate, release);
  }
  return perWindow.slice(0, windows);
}

describe('convergence on a limit Outreach never states', () => {
  it.each([300, 640, 999, 1_000])(
    'GIVEN a hidden limit of %i WHEN one user keeps it busy for 8 windows THEN after the first window at most one 429 per window and at least 99 %% of the limit spent in each',
    (hiddenLimit) => {
      const windows = run(hiddenLimit, 8);
      const later = windows.slice(1);
      expect({
        atMostOne429PerWindow: later.every((w) => w.throttled <= 1),
        leastSpent: Math.min(...later.slice(1).map((w) => w.ok)) >= Math.floor(0.99 * hiddenLimit),
      }).toEqual({ atMostOne429PerWindow: true, leastSpent: true });
    },
  );
});

/**
 * Greedy bulk callers (as many requests as the gate admits) against an Outreach that answers 429 with no headers
 * to any request beyond `hiddenCap` in flight; each request takes 1 s. Returns, each simulated second, how many
 * leases bulk may use under the in-flight limit the gate item holds (the limit less critical's reserved leases).
 */
function bulkLeasesAgainstConcurrencyCap(hiddenCap: number, seconds: number): number[] {
  // A budget far beyond what an hour can spend: only the concurrency cap binds.
  const config: GateConfig = resolveGateSettings({ budgetPerWindow: 1_000_000 }).gate;
  let gate: GateState = state();
  const inFlight: { slot: number; token: string; endsAt: number; status: number }[] = [];
  const usable: number[] = [];
  for (let at = now; at < now + seconds * 1000; at += 100) {
    for (const request of inFlight.filter((r) => r.endsAt <= at)) {
      inFlight.splice(inFlight.indexOf(request), 1);
      const outcome = { status: request.status, headers: {}, lane: 'bulk' as const, slot: request.slot, now: at };
      gate = applyPatch(
        gate,
        decideRelease(gate, { ...outcome, leaseToken: request.token }, config, () => 0),
      );
    }
    for (;;) {
      const admission = decideAdmission(gate, { lane: 'bulk', now: at }, config, () => 0);
      if (admission.kind === 'wait') break;
      gate = applyPatch(gate, admission.plan, `o${at}-${inFlight.length}`);
      const token = gate.leases[admission.slot]?.token as string;
      inFlight.push({
        slot: admission.slot,
        token,
        endsAt: at + 1_000,
        status: inFlight.length < hiddenCap ? 200 : 429,
      });
    }
    if ((at - now) % 1_000 === 0) {
      const limit = gate.inFlightLimit ?? config.leases.inFlightCap;
      usable.push(limit - Math.min(config.leases.criticalReserve, limit - 1));
    }
  }
  return usable;
}

describe('the in-flight limit finds a concurrency cap Outreach never states (AIMD)', () => {
  it.each([2, 4, 6])(
    'GIVEN a hidden cap of %i and greedy bulk callers WHEN they run for an hour THEN after ten minutes bulk’s leases never exceed the cap by more than one, and climb back to it',
    (hiddenCap) => {
      const settled = bulkLeasesAgainstConcurrencyCap(hiddenCap, 3_600).slice(600);
      expect({
        highest: Math.max(...settled) <= hiddenCap + 1,
        reachesTheCap: settled.includes(hiddenCap),
      }).toEqual({ highest: true, reachesTheCap: true });
    },
  );
});
