/** Contract item 13 and the control API: stats, reset, and /__sim being local-only. */
import type { RunningSimulator, SimulatorStats } from '../../local/outreach-sim';
import { accessToken, api, ManualClock, prospectBody, startSim } from './helpers';

describe('control API and stats', () => {
  let sim: RunningSimulator;

  afterEach(() => sim.stop());

  test('GIVEN traffic from two users WHEN stats are read over HTTP THEN per-user and total counters agree', async () => {
    const clock = new ManualClock();
    sim = await startSim({ users: ['u1', 'u2'], budget: 2, now: clock.now });
    const t1 = await accessToken(sim, 'u1');
    const t2 = await accessToken(sim, 'u2');
    for (let i = 0; i < 3; i += 1) await api(sim, t1, 'GET', '/sequences');
    await api(sim, t2, 'POST', '/prospects', prospectBody('dup@example.com'));
    await api(sim, t2, 'POST', '/prospects', prospectBody('dup@example.com'));
    const stats = (await (await fetch(`${sim.url}/__sim/stats`)).json()) as SimulatorStats;
    expect(stats.users.u1).toMatchObject({
      requests: 3,
      byStatus: { '200': 2, '429': 1 },
      status429: 1,
      tokensMinted: 1,
      peakInFlight: 1,
      cooldowns: [
        {
          user: 'u1',
          at: clock.ms,
          waitMs: 3_600_000,
          retryAtMs: clock.ms + 3_600_000,
          retryAfterHeader: '3600',
          reason: 'budget',
        },
      ],
    });
    expect(stats.users.u2).toMatchObject({ requests: 2, duplicatesCreated: 1 });
    expect(stats.total).toMatchObject({ requests: 5, status429: 1, tokensMinted: 2, duplicatesCreated: 1 });
    expect(stats.total.timeline).toEqual([
      { second: Math.floor(clock.ms / 1000), requests: 5, byStatus: { '200': 2, '201': 2, '429': 1 }, inFlightPeak: 1 },
    ]);
    expect(stats.config).toMatchObject({ budget: 2, users: ['u1', 'u2'] });
    expect(stats.timings.windowMs).toBe(3_600_000);
  });

  test('GIVEN state WHEN POST /__sim/reset THEN counters, budgets and records are cleared but tokens still work', async () => {
    sim = await startSim({ users: ['u1'], budget: 1 });
    const token = await accessToken(sim);
    await api(sim, token, 'POST', '/prospects', prospectBody('gone@example.com'));
    expect((await api(sim, token, 'GET', '/prospects')).status).toBe(429);
    const reset = await fetch(`${sim.url}/__sim/reset`, { method: 'POST' });
    expect(reset.status).toBe(200);
    expect(sim.stats().total.requests).toBe(0);
    const list = await api(sim, token, 'GET', '/prospects');
    expect(list.status).toBe(200);
    expect(list.json.data).toEqual([]);
  });

  test('GIVEN reset with tokens WHEN an old access token is used THEN it is refused', async () => {
    sim = await startSim({ users: ['u1'] });
    const token = await accessToken(sim);
    sim.reset({ tokens: true });
    expect((await api(sim, token, 'GET', '/sequences')).status).toBe(401);
    expect(await accessToken(sim)).toEqual(expect.any(String));
  });

  test('GIVEN the control API is off WHEN /__sim/stats is requested THEN 404 like any unknown path', async () => {
    sim = await startSim({ users: ['u1'], controlApi: false });
    const response = await fetch(`${sim.url}/__sim/stats`);
    expect(response.status).toBe(404);
    expect(((await response.json()) as { errors: { id: string }[] }).errors[0]?.id).toBe('notFound');
    expect(sim.stats().users.u1?.requests).toBe(0);
  });

  test('GIVEN default options WHEN started THEN it binds 127.0.0.1 with a free port and exposes its URLs', async () => {
    sim = await startSim();
    expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(sim.apiBaseUrl).toBe(`${sim.url}/api/v2`);
    expect(sim.tokenUrl).toBe(`${sim.url}/oauth/token`);
  });

  test('GIVEN an idle keep-alive connection WHEN stopped THEN stop resolves and the port refuses connections', async () => {
    sim = await startSim({ users: ['u1'] });
    const token = await accessToken(sim);
    await api(sim, token, 'GET', '/sequences');
    await sim.stop();
    await expect(fetch(`${sim.url}/__sim/stats`)).rejects.toThrow();
  });
});
