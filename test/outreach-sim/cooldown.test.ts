import { penaltyWaitMs, UserCooldown } from '../../local/outreach-sim/cooldown';

const T0 = 5_000_000;
const penalty = { enabled: true, initialWaitMs: 10_000, growthFactor: 1.5, maxWaitMs: 210_000 };

describe('penalty escalation', () => {
  test('GIVEN the defaults WHEN strikes accumulate THEN the wait grows from 10 s and stops at 210 s', () => {
    const waits = Array.from({ length: 10 }, (_, strikes) => Math.round(penaltyWaitMs(strikes, penalty) / 1000));
    expect(waits).toEqual([10, 15, 23, 34, 51, 76, 114, 171, 210, 210]);
  });

  test('GIVEN penalty mode WHEN the budget is spent THEN the first cool-down is the initial wait', () => {
    const cooldown = new UserCooldown();
    const announcement = cooldown.onExhausted(T0, T0 + 360, penalty);
    expect(announcement).toEqual({ retryAtMs: T0 + 10_000, waitMs: 10_000, penalty: false });
    expect(cooldown.isCoolingDown(T0 + 9_999)).toBe(true);
  });

  test('GIVEN a cool-down WHEN a request arrives during it THEN the cool-down is extended with a longer wait', () => {
    const cooldown = new UserCooldown();
    cooldown.onExhausted(T0, T0, penalty);
    const strike = cooldown.onStrike(T0 + 2_000, penalty);
    expect(strike).toEqual({ retryAtMs: T0 + 17_000, waitMs: 15_000, penalty: true });
  });

  test('GIVEN strikes WHEN a request is served THEN the escalation is forgiven', () => {
    const cooldown = new UserCooldown();
    cooldown.onExhausted(T0, T0, penalty);
    cooldown.onStrike(T0 + 1, penalty);
    cooldown.onServed();
    expect(cooldown.onExhausted(T0 + 100_000, T0 + 100_000, penalty).waitMs).toBe(10_000);
  });

  test('GIVEN penalty mode off WHEN the budget is spent THEN the cool-down is the limiter retry time', () => {
    const cooldown = new UserCooldown();
    const announcement = cooldown.onExhausted(T0, T0 + 1_234, { ...penalty, enabled: false });
    expect(announcement).toEqual({ retryAtMs: T0 + 1_234, waitMs: 1_234, penalty: false });
  });
});
