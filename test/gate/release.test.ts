import { formatLease } from '../../lambdas/gate/lease';
import { applyPatch, patchApplies } from '../../lambdas/gate/patch';
import { decideRelease } from '../../lambdas/gate/release';
import type { GateState, ReleaseOutcome } from '../../lambdas/gate/types';
import type { GateConfig } from '../../lambdas/shared/config';
import { resolveGateSettings } from '../../lib/settings';

const config: GateConfig = resolveGateSettings().gate; // circuit: 5 failures, 30 s open; default cool-down 60 s
const now = Date.UTC(2026, 0, 15, 12, 0, 0);
const ours = formatLease(now + 30_000, 'ours');
const theirs = formatLease(now + 40_000, 'theirs');
const holding = (token: string, fields: Partial<GateState> = {}): GateState => ({
  leases: { 2: { expiresAt: now + 30_000, token } },
  ...fields,
});
const outcome = (fields: Partial<ReleaseOutcome> = {}): ReleaseOutcome => ({
  status: 200,
  lane: 'bulk',
  slot: 2,
  leaseToken: ours,
  now,
  ...fields,
});
const released = (state: GateState, fields: Partial<ReleaseOutcome> = {}) =>
  applyPatch(state, decideRelease(state, outcome(fields), config));

describe('decideRelease: the lease', () => {
  it('GIVEN our lease in its slot WHEN released THEN the slot is freed, conditioned on still holding it', () => {
    const patch = decideRelease(holding(ours), outcome(), config);
    expect(patch.conditions).toContainEqual({ kind: 'slot-held', slot: 2, token: ours });
    expect(applyPatch(holding(ours), patch).leases[2]).toBeUndefined();
  });

  it('GIVEN our lease expired and the slot taken by another caller WHEN released THEN their lease stays', () => {
    expect(released(holding(theirs)).leases[2]?.token).toBe(theirs);
  });

  it('GIVEN a release decided while we held the slot WHEN another caller has since taken it THEN the write no longer applies', () => {
    const patch = decideRelease(holding(ours), outcome(), config);
    expect(patchApplies(holding(theirs), patch)).toBe(false);
  });
});

describe('decideRelease: 429 cool-down', () => {
  it('GIVEN a 429 with Retry-After WHEN released THEN everyone cools down until then', () => {
    expect(released(holding(ours), { status: 429, headers: { 'Retry-After': '10' } }).cooldownUntil).toBe(now + 10_000);
  });

  it('GIVEN a 429 without rate-limit headers WHEN released THEN the default cool-down applies', () => {
    expect(released(holding(ours), { status: 429 }).cooldownUntil).toBe(now + 60_000);
  });

  it('GIVEN a longer cool-down already in place WHEN a shorter 429 is released THEN the cool-down is not shortened', () => {
    const cooling = holding(ours, { cooldownUntil: now + 120_000 });
    expect(released(cooling, { status: 429, headers: { 'Retry-After': '10' } }).cooldownUntil).toBe(now + 120_000);
  });

  it('GIVEN two 429s decided on the same state WHEN the longer lands first THEN the shorter no longer applies and re-decides to nothing', () => {
    const start = holding(ours);
    const shorter = decideRelease(start, outcome({ status: 429, headers: { 'Retry-After': '10' } }), config);
    const longer = decideRelease(
      start,
      outcome({ status: 429, headers: { 'Retry-After': '90' }, slot: 5, leaseToken: theirs }),
      config,
    );
    const afterLonger = applyPatch(start, longer);
    expect(patchApplies(afterLonger, shorter)).toBe(false);
    expect(released(afterLonger, { status: 429, headers: { 'Retry-After': '10' } }).cooldownUntil).toBe(now + 90_000);
  });

  it('GIVEN a 200 WHEN released THEN no cool-down is written', () => {
    expect(released(holding(ours)).cooldownUntil).toBeUndefined();
  });
});

describe('decideRelease: what the headers say', () => {
  it('GIVEN a response reporting a new window WHEN released THEN the window and spend are recorded', () => {
    const reset = Math.floor(now / 1000) + 1_200;
    const headers = { 'X-RateLimit-Limit': '10000', 'X-RateLimit-Remaining': '9000', 'X-RateLimit-Reset': `${reset}` };
    expect(released(holding(ours), { headers })).toMatchObject({
      limit: 10_000,
      spent: 1_000,
      windowResetAt: reset * 1000,
    });
  });
});

describe('decideRelease: circuit breaker', () => {
  const threshold = config.circuitBreaker.failureThreshold;

  it.each<[string, ReleaseOutcome['status']]>([
    ['a 500', 500],
    ['a 503', 503],
    ['a timeout', 'timeout'],
  ])('GIVEN %s WHEN released THEN consecutive failures go up by one', (_case, status) => {
    expect(released(holding(ours, { consecutiveFailures: 1 }), { status }).consecutiveFailures).toBe(2);
  });

  it('GIVEN one failure short of the threshold WHEN another 5xx is released THEN the circuit opens', () => {
    const after = released(holding(ours, { consecutiveFailures: threshold - 1 }), { status: 502 });
    expect(after).toMatchObject({
      consecutiveFailures: threshold,
      circuitOpenUntil: now + config.circuitBreaker.openMs,
    });
  });

  it('GIVEN a failed probe of a half-open circuit WHEN released THEN the circuit re-opens from now', () => {
    const probing = holding(ours, {
      consecutiveFailures: threshold,
      circuitOpenUntil: now - 5_000 + config.circuitBreaker.openMs,
    });
    expect(released(probing, { status: 500 }).circuitOpenUntil).toBe(now + config.circuitBreaker.openMs);
  });

  it('GIVEN a 5xx decided below the threshold WHEN concurrent failures have since reached it THEN the write no longer applies', () => {
    const patch = decideRelease(holding(ours, { consecutiveFailures: 1 }), outcome({ status: 500 }), config);
    expect(patchApplies(holding(ours, { consecutiveFailures: threshold - 1 }), patch)).toBe(false);
  });

  it.each([200, 201, 404, 422, 429])(
    'GIVEN an open circuit WHEN a %i is released THEN failures reset and the circuit closes',
    (status) => {
      const after = released(holding(ours, { consecutiveFailures: threshold, circuitOpenUntil: now + 10_000 }), {
        status,
      });
      expect(after.consecutiveFailures).toBe(0);
      expect(after.circuitOpenUntil).toBeUndefined();
    },
  );
});
