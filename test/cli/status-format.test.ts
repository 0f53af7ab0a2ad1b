import { formatStatus, statusJson } from '../../cli/status-format';
import { userStatus } from '../../cli/user-status';
import { resolveGateSettings } from '../../lib/settings';

const config = resolveGateSettings({ budgetPerWindow: 100, budgetWindowSeconds: 3600 }).gate;
const now = Date.UTC(2030, 0, 1);
const secret = 'ACCESS-TOKEN-THAT-MUST-NEVER-SHOW';

const report = (user: ReturnType<typeof userStatus>) => ({
  at: now,
  target: 'local run',
  lanes: [
    {
      lane: 'bulk' as const,
      depth: 4,
      inFlight: 1,
      oldestAgeSeconds: undefined,
      deadLetters: 2,
      receiving: 'paused' as const,
    },
  ],
  users: [user],
});

describe('status output', () => {
  it('GIVEN a gate item with a cool-down WHEN formatted THEN the time left is shown', () => {
    const user = userStatus('u1', { leases: {}, cooldownUntil: now + 125_000 }, undefined, config, now);
    expect(formatStatus(report(user))).toMatch(/u1\s+2m 05s left/);
  });

  it('GIVEN a paused lane WHEN formatted THEN it reads PAUSED and an unknown oldest age reads —', () => {
    const user = userStatus('u1', { leases: {} }, undefined, config, now);
    expect(formatStatus(report(user))).toMatch(/bulk\s+4\s+1\s+—\s+2\s+PAUSED/);
  });

  it('GIVEN a valid token WHEN formatted as text or JSON THEN the token itself never appears', () => {
    const token = {
      accessToken: secret,
      accessTokenExpiresAt: now + 60_000,
      refreshAt: now + 30_000,
      refreshToken: secret,
    };
    const user = userStatus('u1', { leases: {} }, token, config, now);
    expect(user.credentials).toEqual({ state: 'valid', expiresInMs: 60_000 });
    expect(formatStatus(report(user))).not.toContain(secret);
    expect(JSON.stringify(statusJson(report(user)))).not.toContain(secret);
  });

  it('GIVEN an open circuit and a spent window WHEN read THEN JSON gives the budget left, limit, reset and circuit', () => {
    const state = { leases: {}, limit: 100, spent: 30, windowResetAt: now + 60_000, circuitOpenUntil: now + 5_000 };
    const json = statusJson(report(userStatus('u1', state, undefined, config, now))) as { users: unknown[] };
    expect(json.users[0]).toMatchObject({
      budget: { remaining: 70, limit: 100, resetAt: new Date(now + 60_000).toISOString() },
      circuit: { state: 'open', openUntil: new Date(now + 5_000).toISOString() },
    });
  });
});
