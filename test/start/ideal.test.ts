import {
  demandOf,
  IdealScheduleError,
  idealClearanceMs,
  type RequestDemand,
  type UpstreamLimits,
} from '../../local/ideal';

const HOUR = 3_600_000;
const limits = (overrides: Partial<UpstreamLimits> = {}): UpstreamLimits => ({
  budgetPerWindow: 100,
  windowMs: HOUR,
  refill: 'fixed-window',
  inFlightCap: 10,
  requestMs: 1000,
  ...overrides,
});
const atStart = (requests: number, user = 'u1'): RequestDemand => ({ atMs: 0, user, requests });

describe('idealClearanceMs', () => {
  it.each([
    {
      case: 'fixed window, a job worth one window: spent as fast as the cap allows',
      demand: [atStart(100)],
      limits: limits(),
      expected: 10_000,
    },
    {
      case: 'fixed window, a job worth two windows: one window plus the time to spend the rest',
      demand: [atStart(200)],
      limits: limits(),
      expected: HOUR + 10_000,
    },
    {
      case: "leaky bucket: a burst of the bucket's depth, then one request per leak interval",
      demand: [atStart(150)],
      limits: limits({ refill: 'leaky-bucket' }),
      expected: 36_000 + 49 * 36_000 + 1000,
    },
    {
      case: 'a small job well inside the budget is bound by the in-flight cap and the latency',
      demand: [atStart(20)],
      limits: limits({ budgetPerWindow: 1000, inFlightCap: 4, requestMs: 500 }),
      expected: 2500,
    },
    {
      case: 'never less than the latest enqueue plus one request',
      demand: [atStart(1), { atMs: 5000, user: 'u1', requests: 1 }],
      limits: limits(),
      expected: 6000,
    },
    {
      case: 'users have budgets of their own: the slowest user decides',
      demand: [atStart(200, 'u1'), atStart(50, 'u2')],
      limits: limits(),
      expected: HOUR + 10_000,
    },
  ])('GIVEN $case THEN the ideal is $expected ms', ({ demand, limits: given, expected }) => {
    expect(idealClearanceMs(demand, given)).toBeCloseTo(expected, 6);
  });

  it('GIVEN no demand WHEN computing the ideal THEN it is 0', () => {
    expect(idealClearanceMs([], limits())).toBe(0);
  });

  it.each([
    ['budgetPerWindow', { budgetPerWindow: 0 }],
    ['windowMs', { windowMs: -1 }],
    ['inFlightCap', { inFlightCap: 0 }],
    ['requestMs', { requestMs: Number.NaN }],
  ] as const)('GIVEN an impossible %s WHEN computing the ideal THEN the error names it', (name, overrides) => {
    expect(() => idealClearanceMs([atStart(1)], limits(overrides))).toThrow(
      expect.objectContaining({ name: IdealScheduleError.name, message: expect.stringContaining(name) }),
    );
  });
});

describe('demandOf', () => {
  it('GIVEN an upsert and a create WHEN counting upstream requests THEN the upsert counts two', () => {
    const demand = demandOf([
      {
        atMs: 10,
        producer: 'p',
        intent: {
          id: 'a',
          user: 'u1',
          lane: 'standard',
          operation: { type: 'prospect.upsert', email: 'a@b.co', attributes: {} },
        },
      },
      {
        atMs: 20,
        producer: 'p',
        intent: {
          id: 'b',
          user: 'u2',
          lane: 'bulk',
          operation: { type: 'prospect.create', attributes: { emails: ['b@b.co'] } },
        },
      },
    ]);
    expect(demand).toEqual([
      { atMs: 10, user: 'u1', requests: 2 },
      { atMs: 20, user: 'u2', requests: 1 },
    ]);
  });
});
