import { decideAdmission } from '../../lambdas/gate/admission';
import { formatLease } from '../../lambdas/gate/lease';
import { applyPatch, composePatches, patchApplies } from '../../lambdas/gate/patch';
import { decideRelease, releaseMayWait } from '../../lambdas/gate/release';
import type { GatePatch, GateState, ReleaseOutcome } from '../../lambdas/gate/types';
import { resolveGateSettings } from '../../lib/settings';

const config = resolveGateSettings().gate;
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const first = () => 0;

/** A user with one lease held in slot 0, taken a second ago, and `spent` requests in the current window. */
function heldState(spent: number): { state: GateState; outcome: ReleaseOutcome } {
  const token = formatLease(NOW - 1000 + config.leases.ttlMs, 'ours');
  const state: GateState = {
    leases: { 0: { expiresAt: NOW - 1000 + config.leases.ttlMs, token } },
    windowResetAt: NOW + 30_000,
    spent,
  };
  const outcome: ReleaseOutcome = { status: 200, lane: 'bulk', slot: 0, leaseToken: token, now: NOW };
  return { state, outcome };
}

/** The release, then the admission decided on what it leaves, as two writes. */
function separately(state: GateState, outcome: ReleaseOutcome, headers?: ReleaseOutcome['headers']) {
  const release = decideRelease(state, { ...outcome, ...(headers ? { headers } : {}) }, config, first);
  const after = applyPatch(state, release);
  const admission = decideAdmission(after, { lane: 'bulk', now: NOW }, config, first);
  if (admission.kind !== 'admit') throw new Error(`expected an admission, got ${JSON.stringify(admission)}`);
  return { release, after, plan: admission.plan };
}

function withoutTokens(state: GateState) {
  return { ...state, leases: Object.keys(state.leases) };
}

describe('returning a lease with the next admission (composePatches)', () => {
  it('GIVEN a lease held after a 2xx WHEN its release and the next admission are composed THEN the one write leaves the item exactly as the two writes do', () => {
    const { state, outcome } = heldState(4);
    const { release, after, plan } = separately(state, outcome);
    const composed = composePatches(release, plan, after) as GatePatch;
    expect(withoutTokens(applyPatch(state, composed))).toEqual(withoutTokens(applyPatch(after, plan)));
  });

  it('GIVEN a 2xx whose headers report the budget WHEN composed THEN the observed spent count plus this admission is written, as the two writes would', () => {
    const { state, outcome } = heldState(4);
    const headers = {
      'x-ratelimit-limit': '100',
      'x-ratelimit-remaining': '90',
      'x-ratelimit-reset': String(Math.floor((NOW + 30_000) / 1000)),
    };
    const { release, after, plan } = separately(state, outcome, headers);
    const composed = composePatches(release, plan, after) as GatePatch;
    const twoWrites = applyPatch(after, plan);
    expect(withoutTokens(applyPatch(state, composed))).toEqual(withoutTokens(twoWrites));
    expect(twoWrites.spent).toBe(11);
  });

  it('GIVEN the composed write WHEN checked against the item it was decided on THEN its conditions hold there', () => {
    const { state, outcome } = heldState(4);
    const { release, after, plan } = separately(state, outcome);
    expect(patchApplies(state, composePatches(release, plan, after) as GatePatch)).toBe(true);
  });

  it('GIVEN another caller took the freed lease slot meanwhile WHEN the composed write is checked THEN its conditions fail (the release needs the slot still ours)', () => {
    const { state, outcome } = heldState(4);
    const { release, after, plan } = separately(state, outcome);
    const overtaken: GateState = {
      ...state,
      leases: { 0: { expiresAt: NOW + 5000, token: formatLease(NOW + 5000, 'theirs') } },
    };
    expect(patchApplies(overtaken, composePatches(release, plan, after) as GatePatch)).toBe(false);
  });

  it('GIVEN a release that increments an attribute (a failure counted) WHEN composed THEN it cannot be one write', () => {
    const { state, outcome } = heldState(4);
    const release = decideRelease(state, { ...outcome, status: 500 }, config, first);
    const after = applyPatch(state, release);
    const admission = decideAdmission(after, { lane: 'bulk', now: NOW }, config, first);
    if (admission.kind !== 'admit') throw new Error('expected an admission');
    expect(composePatches(release, admission.plan, after)).toBeUndefined();
  });
});

describe('which returns may wait for the next admission (releaseMayWait)', () => {
  it('GIVEN a 200 WHEN asked THEN its return may wait', () => {
    expect(releaseMayWait({ status: 200 }, NOW, config)).toBe(true);
  });

  it.each([
    [429, { 'retry-after': '5' }],
    [503, { 'retry-after': '60' }],
    [500, undefined],
    ['timeout' as const, undefined],
    [401, undefined],
  ])('GIVEN a %s WHEN asked THEN it is returned at once', (status, headers) => {
    expect(releaseMayWait({ status, ...(headers ? { headers } : {}) }, NOW, config)).toBe(false);
  });

  it('GIVEN a 200 whose headers report no request left in the window WHEN asked THEN it is returned at once', () => {
    const headers = { 'x-ratelimit-limit': '100', 'x-ratelimit-remaining': '0' };
    expect(releaseMayWait({ status: 200, headers }, NOW, config)).toBe(false);
  });
});
