/** Contract item 12: injected faults, set at start-up and at run time. */
import type { RunningSimulator } from '../../local/outreach-sim';
import { accessToken, api, prospectBody, startSim } from './helpers';

async function postConfig(sim: RunningSimulator, patch: unknown): Promise<Response> {
  return fetch(`${sim.url}/__sim/config`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(patch),
  });
}

describe('faults', () => {
  let sim: RunningSimulator;
  let token: string;

  beforeEach(async () => {
    sim = await startSim({ users: ['u1'] });
    token = await accessToken(sim);
  });
  afterEach(() => sim.stop());

  test('GIVEN an error burst of two 502s set at run time WHEN three requests arrive THEN two fail, then service resumes', async () => {
    expect((await postConfig(sim, { faults: { errorBurst: { status: 502, count: 2 } } })).status).toBe(200);
    const statuses = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await api(sim, token, 'GET', '/sequences')).status);
    expect(statuses).toEqual([502, 502, 200]);
    expect(sim.stats().users.u1?.byStatus).toMatchObject({ '502': 2, '200': 1 });
  });

  test('GIVEN an error burst at start-up WHEN a request arrives THEN it fails with a JSON:API error', async () => {
    await sim.stop();
    sim = await startSim({ users: ['u1'], faults: { errorBurst: { status: 500, count: 1 } } });
    token = await accessToken(sim);
    const response = await api(sim, token, 'GET', '/sequences');
    expect(response.status).toBe(500);
    expect(response.json.errors[0].id).toBe('internalServerError');
  });

  test('GIVEN a maintenance window WHEN a request arrives THEN 503 scheduledServerMaintenance with Retry-After', async () => {
    sim.configure({ faults: { maintenance: { durationMs: 30_000 } } });
    const response = await api(sim, token, 'GET', '/sequences');
    expect(response.status).toBe(503);
    expect(response.json.errors[0].id).toBe('scheduledServerMaintenance');
    expect(response.json.errors[0].detail).toMatch(/please try again at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.$/);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(29);
  });

  test('GIVEN resetNext 1 WHEN a request arrives THEN the connection is reset and counted as reset', async () => {
    sim.configure({ faults: { resetNext: 1 } });
    await expect(api(sim, token, 'GET', '/sequences')).rejects.toThrow();
    expect((await api(sim, token, 'GET', '/sequences')).status).toBe(200);
    expect(sim.stats().total.byStatus.reset).toBe(1);
  });

  test('GIVEN a reset after processing WHEN a prospect is created THEN the client sees a reset but the prospect exists', async () => {
    sim.configure({ faults: { resetNext: 1, resetPhase: 'after' } });
    await expect(api(sim, token, 'POST', '/prospects', prospectBody('lost@example.com'))).rejects.toThrow();
    const lookup = await api(sim, token, 'GET', '/prospects?filter[emails]=lost@example.com');
    expect(lookup.json.data).toHaveLength(1);
  });

  test('GIVEN slow responses beyond the client timeout WHEN a create times out THEN the record was still created', async () => {
    sim.configure({ faults: { slowResponseMs: 2_000, slowRate: 1 } });
    await expect(
      api(sim, token, 'POST', '/prospects', prospectBody('slow@example.com'), { signal: AbortSignal.timeout(200) }),
    ).rejects.toThrow();
    sim.configure({ faults: { slowRate: 0 } });
    const lookup = await api(sim, token, 'GET', '/prospects?filter[emails]=slow@example.com');
    expect(lookup.json.data).toHaveLength(1);
  });

  test('GIVEN latency with jitter WHEN requests are made THEN they are still answered normally', async () => {
    sim.configure({ faults: { latencyMs: 20, latencyJitterMs: 20 } });
    const response = await api(sim, token, 'GET', '/sequences');
    expect(response.status).toBe(200);
    expect(response.headers.get('x-ratelimit-limit')).toBe('10000');
  });

  test('GIVEN an invalid config patch WHEN posted THEN 400 lists the problems and nothing changes', async () => {
    const response = await postConfig(sim, { faults: { errorRate: 3 } });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { problems: string[] }).problems[0]).toMatch(/faults\.errorRate/);
    expect(sim.stats().config.faults.errorRate).toBe(0);
  });
});
