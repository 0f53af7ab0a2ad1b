/** Contract items 2–7: per-user budget, window modes, rate-limit headers, Retry-After, concurrency cap, penalty mode. */
import type { RetryAfterFormat, RunningSimulator, SimulatorStartOptions } from '../../local/outreach-sim';
import { accessToken, api, ManualClock, startSim } from './helpers';

describe('rate limits', () => {
  let sim: RunningSimulator;
  let clock: ManualClock;

  async function start(options: SimulatorStartOptions): Promise<string> {
    clock = new ManualClock();
    sim = await startSim({ users: ['u1', 'u2'], windowSeconds: 2, now: clock.now, ...options });
    return accessToken(sim);
  }
  afterEach(() => sim.stop());

  test("GIVEN a budget of 3 WHEN a fourth request is sent THEN 429 rateLimitExceeded with Outreach's detail", async () => {
    const token = await start({ budget: 3 });
    for (let i = 0; i < 3; i += 1) expect((await api(sim, token, 'GET', '/sequences')).status).toBe(200);
    const refused = await api(sim, token, 'GET', '/sequences');
    expect(refused.status).toBe(429);
    const resetAt = new Date(Math.ceil((clock.ms + 2000) / 1000) * 1000).toISOString().slice(0, 19);
    expect(refused.json.errors).toEqual([
      {
        id: 'rateLimitExceeded',
        title: 'Rate Limit Exceeded',
        detail: `You have exceeded your permitted rate limit of 3; please try again at ${resetAt}.`,
      },
    ]);
  });

  test('GIVEN one user has spent its budget WHEN another user calls THEN the other user is served', async () => {
    const token = await start({ budget: 1 });
    await api(sim, token, 'GET', '/sequences');
    expect((await api(sim, token, 'GET', '/sequences')).status).toBe(429);
    const other = await accessToken(sim, 'u2');
    expect((await api(sim, other, 'GET', '/sequences')).status).toBe(200);
  });

  test('GIVEN a fixed window anchored at the first request WHEN the window ends THEN the budget is whole again', async () => {
    const token = await start({ budget: 2, mode: 'fixed' });
    await api(sim, token, 'GET', '/sequences');
    clock.advance(1500);
    await api(sim, token, 'GET', '/sequences');
    expect((await api(sim, token, 'GET', '/sequences')).status).toBe(429);
    clock.advance(500);
    const renewed = await api(sim, token, 'GET', '/sequences');
    expect(renewed.status).toBe(200);
    expect(renewed.headers.get('x-ratelimit-remaining')).toBe('1');
  });

  test('GIVEN leaky mode WHEN the bucket is full THEN one more request fits after one unit drains', async () => {
    const token = await start({ budget: 4, mode: 'leaky' });
    for (let i = 0; i < 4; i += 1) await api(sim, token, 'GET', '/sequences');
    const refused = await api(sim, token, 'GET', '/sequences');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    clock.advance(500);
    expect((await api(sim, token, 'GET', '/sequences')).status).toBe(200);
  });

  test('GIVEN default headers WHEN answering 200 and 429 THEN both carry limit, remaining and epoch reset', async () => {
    const token = await start({ budget: 1 });
    const ok = await api(sim, token, 'GET', '/sequences');
    const refused = await api(sim, token, 'GET', '/sequences');
    const expectedReset = String(Math.ceil((clock.ms + 2000) / 1000));
    for (const [response, remaining] of [
      [ok, '0'],
      [refused, '0'],
    ] as const) {
      expect(response.headers.get('x-ratelimit-limit')).toBe('1');
      expect(response.headers.get('x-ratelimit-remaining')).toBe(remaining);
      expect(response.headers.get('x-ratelimit-reset')).toBe(expectedReset);
    }
  });

  test('GIVEN rate-limit headers switched off WHEN answering THEN none are sent', async () => {
    const token = await start({ rateLimitHeaders: false });
    const response = await api(sim, token, 'GET', '/sequences');
    expect(response.status).toBe(200);
    expect(response.headers.get('x-ratelimit-limit')).toBeNull();
    expect(response.headers.get('x-ratelimit-reset')).toBeNull();
  });

  const retryAfterCases: [RetryAfterFormat, (retryAt: number) => string | null][] = [
    ['delta', () => '2'],
    ['epoch', (retryAt) => String(Math.ceil(retryAt / 1000))],
    ['http-date', (retryAt) => new Date(Math.ceil(retryAt / 1000) * 1000).toUTCString()],
    ['none', () => null],
  ];
  test.each(retryAfterCases)(
    'GIVEN Retry-After format %s WHEN refusing THEN the header has that form',
    async (format, expected) => {
      const token = await start({ budget: 1, retryAfter: format });
      await api(sim, token, 'GET', '/sequences');
      const refused = await api(sim, token, 'GET', '/sequences');
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe(expected(clock.ms + 2000));
    },
  );

  test('GIVEN a concurrency cap of 1 WHEN two requests overlap THEN one is answered 429 rateLimitExceeded', async () => {
    clock = new ManualClock();
    sim = await startSim({ users: ['u1'], concurrencyCap: 1, faults: { latencyMs: 1500 } });
    const token = await accessToken(sim);
    const responses = await Promise.all([api(sim, token, 'GET', '/sequences'), api(sim, token, 'GET', '/sequences')]);
    expect(responses.map((response) => response.status).sort()).toEqual([200, 429]);
    expect(responses.find((response) => response.status === 429)?.json.errors[0].id).toBe('rateLimitExceeded');
    expect(sim.stats().users.u1?.peakInFlight).toBe(2);
  });

  test('GIVEN penalty mode and a concurrency cap of 1 WHEN requests overlap THEN a cool-down starts, and a request during it lengthens it', async () => {
    clock = new ManualClock();
    sim = await startSim({
      users: ['u1'],
      concurrencyCap: 1,
      timeScale: 1,
      penalty: { enabled: true },
      faults: { latencyMs: 1500 },
    });
    const token = await accessToken(sim);
    const overlapping = await Promise.all([api(sim, token, 'GET', '/sequences'), api(sim, token, 'GET', '/sequences')]);
    const during = await api(sim, token, 'GET', '/sequences');
    expect({
      overlapping: overlapping.map((response) => response.status).sort(),
      firstWait: overlapping.find((response) => response.status === 429)?.headers.get('retry-after'),
      during: [during.status, during.headers.get('retry-after')],
      reasons: (sim.stats().users.u1?.cooldowns ?? []).map((record) => record.reason),
    }).toEqual({ overlapping: [200, 429], firstWait: '10', during: [429, '15'], reasons: ['concurrency', 'penalty'] });
  });

  test('GIVEN penalty mode WHEN a user keeps calling during its cool-down THEN each wait is longer, up to the maximum', async () => {
    const token = await start({ budget: 1, mode: 'leaky', timeScale: 1, penalty: { enabled: true } });
    await api(sim, token, 'GET', '/sequences');
    const waits: (string | null)[] = [];
    for (let i = 0; i < 10; i += 1) {
      const refused = await api(sim, token, 'GET', '/sequences');
      expect(refused.status).toBe(429);
      waits.push(refused.headers.get('retry-after'));
      clock.advance(1000);
    }
    expect(waits).toEqual(['10', '15', '23', '34', '51', '76', '114', '171', '210', '210']);
    const cooldowns = sim.stats().users.u1?.cooldowns ?? [];
    expect(cooldowns.map((record) => record.reason)).toEqual(['budget', ...Array(9).fill('penalty')]);
    expect(cooldowns[0]).toMatchObject({ waitMs: 10_000, retryAfterHeader: '10' });
  });

  test('GIVEN penalty mode WHEN the user waits out its cool-down THEN it is served and the escalation is forgiven', async () => {
    const token = await start({ budget: 1, mode: 'leaky', timeScale: 1, penalty: { enabled: true } });
    await api(sim, token, 'GET', '/sequences');
    await api(sim, token, 'GET', '/sequences');
    await api(sim, token, 'GET', '/sequences');
    clock.advance(15_000);
    expect((await api(sim, token, 'GET', '/sequences')).status).toBe(200);
    expect(sim.stats().users.u1?.penaltyStrikes).toBe(0);
  });

  test.each([
    [true, 1],
    [false, 2],
  ])(
    'GIVEN refused requests consume budget is %s WHEN a request is refused during a cool-down THEN %i remain',
    async (consume, remaining) => {
      const token = await start({
        budget: 5,
        mode: 'leaky',
        timeScale: 1,
        penalty: { enabled: true },
        rejectedRequestsConsumeBudget: consume,
      });
      for (let i = 0; i < 5; i += 1) await api(sim, token, 'GET', '/sequences');
      expect((await api(sim, token, 'GET', '/sequences')).status).toBe(429);
      clock.advance(1000);
      expect((await api(sim, token, 'GET', '/sequences')).status).toBe(429);
      expect(sim.stats().users.u1?.budget.remaining).toBe(remaining);
    },
  );
});
