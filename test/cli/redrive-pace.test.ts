import { decideRedrive, delayBeforeSend, parseRate, RateError, userAllowance } from '../../cli/redrive-pace';
import { resolveGateSettings } from '../../lib/settings';

const config = resolveGateSettings({ budgetPerWindow: 100, budgetWindowSeconds: 3600 }).gate;
const now = 1_000_000;

describe('redrive pace at --rate auto', () => {
  it('GIVEN a user cooling down WHEN a dead letter of theirs comes up THEN it is held', () => {
    const allowance = userAllowance({ leases: {}, cooldownUntil: now + 60_000 }, 'bulk', config, now);
    expect(decideRedrive({ kind: 'auto' }, allowance, 0, 1)).toEqual({ kind: 'hold', why: 'cooling-down' });
  });

  it('GIVEN 10 requests left for a critical intent WHEN 10 were already sent THEN the next is held for budget', () => {
    const state = { leases: {}, limit: 100, spent: 90, windowResetAt: now + 60_000 };
    const allowance = userAllowance(state, 'critical', config, now);
    expect(allowance).toEqual({ kind: 'budget', requests: 10 });
    expect(decideRedrive({ kind: 'auto' }, allowance, 9, 1)).toEqual({ kind: 'send' });
    expect(decideRedrive({ kind: 'auto' }, allowance, 10, 1)).toEqual({ kind: 'hold', why: 'no-budget' });
  });

  it('GIVEN a bulk lane WHEN the allowance is read THEN the critical reserve is not counted as left', () => {
    const state = { leases: {}, limit: 100, spent: 50, windowResetAt: now + 60_000 };
    const reserve = Math.ceil(100 * config.budget.criticalReserve);
    expect(userAllowance(state, 'bulk', config, now)).toEqual({ kind: 'budget', requests: 50 - reserve });
  });

  it('GIVEN an expired window WHEN the allowance is read THEN the whole limit is left', () => {
    const state = { leases: {}, limit: 100, spent: 100, windowResetAt: now - 60_000 };
    expect(userAllowance(state, 'critical', config, now)).toEqual({ kind: 'budget', requests: 100 });
  });

  it('GIVEN a fixed rate WHEN the user has no budget THEN it sends anyway, paced', () => {
    expect(decideRedrive({ kind: 'fixed', perSecond: 2 }, { kind: 'budget', requests: 0 }, 5, 1)).toEqual({
      kind: 'send',
    });
    expect(delayBeforeSend({ kind: 'fixed', perSecond: 2 }, 3, now, now + 500)).toBe(1000);
  });
});

describe('parseRate', () => {
  it('GIVEN auto, 5 or 0.5/s WHEN parsed THEN each is read', () => {
    expect(parseRate('auto')).toEqual({ kind: 'auto' });
    expect(parseRate('5')).toEqual({ kind: 'fixed', perSecond: 5 });
    expect(parseRate('0.5/s')).toEqual({ kind: 'fixed', perSecond: 0.5 });
  });

  it('GIVEN zero or a word WHEN parsed THEN the error names the value', () => {
    expect(() => parseRate('0')).toThrow(RateError);
    expect(() => parseRate('fast')).toThrow('got "fast"');
  });
});
