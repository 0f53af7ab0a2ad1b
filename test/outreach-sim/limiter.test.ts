import { UserBudget } from '../../local/outreach-sim/limiter';

const T0 = 1_000_000;

describe('fixed window budget', () => {
  const settings = { budget: 3, windowMs: 2000, mode: 'fixed' as const };

  test('GIVEN a fresh user WHEN it spends the budget THEN the next request is refused until the window end', () => {
    const budget = new UserBudget();
    expect(budget.charge(T0, settings)).toMatchObject({
      allowed: true,
      snapshot: { remaining: 2, resetAtMs: T0 + 2000 },
    });
    budget.charge(T0 + 10, settings);
    expect(budget.charge(T0 + 20, settings)).toMatchObject({ allowed: true, snapshot: { remaining: 0 } });
    expect(budget.charge(T0 + 30, settings)).toEqual({
      allowed: false,
      retryAtMs: T0 + 2000,
      snapshot: { limit: 3, remaining: 0, resetAtMs: T0 + 2000 },
    });
  });

  test('GIVEN a spent window WHEN the window has ended THEN a new window is anchored at the next request', () => {
    const budget = new UserBudget();
    for (let i = 0; i < 4; i += 1) budget.charge(T0, settings);
    const next = budget.charge(T0 + 2500, settings);
    expect(next).toMatchObject({ allowed: true, snapshot: { remaining: 2, resetAtMs: T0 + 4500 } });
  });

  test('GIVEN refused requests consume budget WHEN forced THEN remaining stays at zero and the window is unchanged', () => {
    const budget = new UserBudget();
    for (let i = 0; i < 3; i += 1) budget.charge(T0, settings);
    budget.forceCharge(T0 + 1, settings);
    expect(budget.peek(T0 + 2, settings)).toEqual({ limit: 3, remaining: 0, resetAtMs: T0 + 2000 });
  });
});

describe('leaky bucket budget', () => {
  const settings = { budget: 4, windowMs: 2000, mode: 'leaky' as const };

  test('GIVEN a full bucket WHEN a request arrives THEN it may retry when one unit has drained', () => {
    const budget = new UserBudget();
    for (let i = 0; i < 4; i += 1) expect(budget.charge(T0, settings).allowed).toBe(true);
    const refused = budget.charge(T0, settings);
    expect(refused).toMatchObject({
      allowed: false,
      retryAtMs: T0 + 500,
      snapshot: { remaining: 0, resetAtMs: T0 + 2000 },
    });
  });

  test('GIVEN a full bucket WHEN one unit has drained THEN one more request fits', () => {
    const budget = new UserBudget();
    for (let i = 0; i < 4; i += 1) budget.charge(T0, settings);
    expect(budget.charge(T0 + 500, settings)).toMatchObject({ allowed: true, snapshot: { remaining: 0 } });
    expect(budget.charge(T0 + 600, settings).allowed).toBe(false);
  });

  test('GIVEN a half-drained bucket WHEN peeked THEN remaining is the floor of the free depth', () => {
    const budget = new UserBudget();
    for (let i = 0; i < 4; i += 1) budget.charge(T0, settings);
    expect(budget.peek(T0 + 750, settings)).toEqual({ limit: 4, remaining: 1, resetAtMs: T0 + 2000 });
  });
});
