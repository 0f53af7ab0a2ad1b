import { type GateSettingsInput, resolveGateSettings } from '../../lib/settings';

describe('resolveGateSettings', () => {
  it('GIVEN nothing THEN one user, 10,000 requests per hour, cap 10 with 2 critical leases, reserved concurrency 10', () => {
    const s = resolveGateSettings();
    expect({
      users: s.gate.users,
      budget: [s.gate.budget.limitPerWindow, s.gate.budget.windowSeconds, s.gate.budget.safetyMargin],
      leases: [s.gate.leases.inFlightCap, s.gate.leases.criticalReserve],
      reserved: s.reservedConcurrency,
    }).toEqual({ users: ['default'], budget: [10_000, 3600, 0.8], leases: [10, 2], reserved: 10 });
  });

  it('GIVEN a 45 s dispatcher timeout THEN every lane hides received messages for 270 s and leases expire after 45 s', () => {
    const s = resolveGateSettings({ dispatcherTimeoutSeconds: 45 });
    expect([
      s.lanes.critical.visibilityTimeoutSeconds,
      s.lanes.bulk.visibilityTimeoutSeconds,
      s.gate.leases.ttlMs,
    ]).toEqual([270, 270, 45_000]);
  });

  it('GIVEN an upstream timeout that leaves exactly the start and settle margins THEN it is accepted', () => {
    expect(resolveGateSettings({ upstreamTimeoutMs: 27_000 }).gate.outreach.requestTimeoutMs).toBe(27_000);
  });

  it('GIVEN lane overrides THEN only the named fields change', () => {
    const s = resolveGateSettings({ lanes: { bulk: { maxConcurrency: 8 } } });
    expect([s.lanes.bulk.maxConcurrency, s.lanes.bulk.batchSize, s.reservedConcurrency]).toEqual([8, 10, 14]);
  });

  it('GIVEN nothing THEN header waits are bounded at 24 h and times from elsewhere allow 1 s of clock skew', () => {
    const { timing } = resolveGateSettings().gate;
    expect(timing).toEqual({ maxHeaderWaitMs: 86_400_000, clockSkewMs: 1000 });
  });

  it('GIVEN a 30 s window (a compressed local run on one clock) THEN the default skew shrinks with it', () => {
    expect(resolveGateSettings({ budgetWindowSeconds: 30 }).gate.timing.clockSkewMs).toBe(150);
  });

  it('GIVEN an escalation cap and a skew THEN they reach the runtime configuration', () => {
    const { gate } = resolveGateSettings({ maxEscalatedCooldownSeconds: 600, clockSkewMs: 1500 });
    expect([gate.cooldown.maxEscalatedWaitMs, gate.timing.clockSkewMs]).toEqual([600_000, 1500]);
  });

  it('GIVEN nothing THEN an intent keeps retrying for an hour after its first failure; GIVEN 600 s THEN ten minutes', () => {
    expect([
      resolveGateSettings({}).gate.retries.failureWindowMs,
      resolveGateSettings({ failureWindowSeconds: 600 }).gate.retries.failureWindowMs,
    ]).toEqual([3_600_000, 600_000]);
  });

  it('GIVEN a trailing slash on the base URL THEN it is removed', () => {
    expect(resolveGateSettings({ outreachBaseUrl: 'http://127.0.0.1:8080/api/v2/' }).gate.outreach.baseUrl).toBe(
      'http://127.0.0.1:8080/api/v2',
    );
  });

  const invalid: [string, GateSettingsInput, RegExp][] = [
    ['no users', { outreachUsers: [] }, /outreachUsers: at least one Outreach user must be named/],
    ['a user with a space', { outreachUsers: ['a b'] }, /outreachUsers: Outreach user name "a b" must be 1–64 letters/],
    ['a user listed twice', { outreachUsers: ['a', 'a'] }, /outreachUsers: Outreach user "a" is listed twice/],
    [
      'a base URL that is not http(s)',
      { outreachBaseUrl: 'ftp://x' },
      /outreachBaseUrl must be an http\(s\) URL, got "ftp:\/\/x"/,
    ],
    [
      'a token URL that is not a URL',
      { outreachTokenUrl: 'token' },
      /outreachTokenUrl must be an http\(s\) URL, got "token"/,
    ],
    ['a zero budget', { budgetPerWindow: 0 }, /budgetPerWindow must be an integer ≥ 1, got 0/],
    ['a fractional budget', { budgetPerWindow: 1.5 }, /budgetPerWindow must be an integer ≥ 1, got 1.5/],
    ['a zero window', { budgetWindowSeconds: 0 }, /budgetWindowSeconds must be a positive number, got 0/],
    ['a zero in-flight cap', { inFlightCap: 0 }, /inFlightCap must be an integer ≥ 1, got 0/],
    ['a lease share of 1', { criticalLeaseShare: 1 }, /criticalLeaseShare must be a number from 0 to below 1, got 1/],
    [
      'a lease share reserving every lease',
      { inFlightCap: 2, criticalLeaseShare: 0.9 },
      /reserves every lease \(2\) for critical/,
    ],
    [
      'a negative budget share',
      { criticalBudgetShare: -0.1 },
      /criticalBudgetShare must be a number from 0 to below 1, got -0.1/,
    ],
    ['a safety margin above 1', { safetyMargin: 1.2 }, /safetyMargin must be above 0 and at most 1, got 1.2/],
    ['a zero safety margin', { safetyMargin: 0 }, /safetyMargin must be above 0 and at most 1, got 0/],
    [
      'a batch size of 11',
      { lanes: { bulk: { batchSize: 11 } } },
      /lanes\.bulk\.batchSize must be an integer from 1 to 10, got 11/,
    ],
    [
      'a batch size of 0',
      { lanes: { critical: { batchSize: 0 } } },
      /lanes\.critical\.batchSize must be an integer from 1 to 10, got 0/,
    ],
    [
      'maxConcurrency 1',
      { lanes: { standard: { maxConcurrency: 1 } } },
      /lanes\.standard\.maxConcurrency must be an integer from 2 to 1000, got 1/,
    ],
    ['an unknown lane', { lanes: { urgent: {} } as never }, /lanes has an unknown lane "urgent"/],
    [
      'a zero age threshold',
      { lanes: { bulk: { maxMessageAgeSeconds: 0 } } },
      /lanes\.bulk\.maxMessageAgeSeconds must be an integer ≥ 1, got 0/,
    ],
    [
      'reserved concurrency below the sum',
      { reservedConcurrency: 9 },
      /reservedConcurrency \(9\) must equal the sum of the lanes' maxConcurrency \(critical 2 \+ standard 4 \+ bulk 4 = 10\)/,
    ],
    [
      'a dispatcher timeout over 15 minutes',
      { dispatcherTimeoutSeconds: 901 },
      /dispatcherTimeoutSeconds must be an integer from 1 to 900, got 901/,
    ],
    [
      '128 MiB below the minimum',
      { dispatcherMemoryMiB: 64 },
      /dispatcherMemoryMiB must be an integer from 128 to 10240, got 64/,
    ],
    [
      'an upstream timeout as long as the dispatcher',
      { dispatcherTimeoutSeconds: 30, upstreamTimeoutMs: 30_000 },
      /upstreamTimeoutMs \(30000\) plus 1000 ms to start and 2000 ms to settle must fit in the dispatcher timeout \(30000 ms\)/,
    ],
    [
      'an upstream timeout that leaves no time to settle',
      { dispatcherTimeoutSeconds: 30, upstreamTimeoutMs: 28_001 },
      /upstreamTimeoutMs \(28001\) plus 1000 ms to start and 2000 ms to settle must fit in the dispatcher timeout \(30000 ms\)/,
    ],
    [
      'an upstream timeout that leaves time to settle but none to start (every record would be given back)',
      { dispatcherTimeoutSeconds: 30, upstreamTimeoutMs: 27_001 },
      /upstreamTimeoutMs \(27001\) plus 1000 ms to start and 2000 ms to settle must fit in the dispatcher timeout \(30000 ms\)/,
    ],
    ['zero failure attempts', { maxFailureAttempts: 0 }, /maxFailureAttempts must be an integer from 1 to 100, got 0/],
    [
      'a failure window longer than SQS keeps a message',
      { failureWindowSeconds: 1_209_601 },
      /failureWindowSeconds must be an integer from 0 to 1209600, got 1209601/,
    ],
    [
      'a fractional failure window',
      { failureWindowSeconds: 1.5 },
      /failureWindowSeconds must be an integer .*got 1\.5/,
    ],
    ['a receive count that deferrals could exhaust', { maxReceiveCount: 10 }, /maxReceiveCount must be at least 100/],
    [
      'a receive count above SQS maximum',
      { maxReceiveCount: 1001 },
      /maxReceiveCount must be an integer from 1 to 1000, got 1001/,
    ],
    ['a zero default cool-down', { defaultCooldownSeconds: 0 }, /defaultCooldownSeconds must be an integer ≥ 1, got 0/],
    [
      'a zero breaker threshold',
      { circuitBreakerThreshold: 0 },
      /circuitBreakerThreshold must be an integer ≥ 1, got 0/,
    ],
    [
      'a zero breaker open time',
      { circuitBreakerOpenSeconds: 0 },
      /circuitBreakerOpenSeconds must be an integer ≥ 1, got 0/,
    ],
    [
      'a record TTL over a year',
      { intentRecordTtlDays: 400 },
      /intentRecordTtlDays must be an integer from 1 to 365, got 400/,
    ],
    [
      'a record TTL shorter than a dead-letter queue keeps its copies',
      { intentRecordTtlDays: 7 },
      /intentRecordTtlDays \(7\) must be at least 15: queues keep a message up to 14 days/,
    ],
    ['a zero cool-down alarm', { cooldownAlarmSeconds: 0 }, /cooldownAlarmSeconds must be an integer ≥ 1, got 0/],
    ['a zero header-wait ceiling', { maxHeaderWaitSeconds: 0 }, /maxHeaderWaitSeconds must be an integer ≥ 1, got 0/],
    ['a negative clock skew', { clockSkewMs: -1 }, /clockSkewMs must be an integer from 0 to 60000, got -1/],
    [
      'an escalation cap below the default cool-down',
      { defaultCooldownSeconds: 60, maxEscalatedCooldownSeconds: 30 },
      /maxEscalatedCooldownSeconds \(30\) must be at least defaultCooldownSeconds \(60\)/,
    ],
    [
      'a zero 429 alarm threshold',
      { upstream429AlarmThreshold: 0 },
      /upstream429AlarmThreshold must be an integer ≥ 1, got 0/,
    ],
  ];

  it.each(invalid)('fails if given %s', (_name, input, message) => {
    expect(() => resolveGateSettings(input)).toThrow(message);
  });
});
