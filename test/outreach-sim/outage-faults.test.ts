/** Outage fault switches: token endpoint down, API unresponsive, bare 429s, a user's tokens revoked. */
import type { RunningSimulator } from '../../local/outreach-sim';
import { accessToken, api, ManualClock, refresh, startSim } from './helpers';

describe('outage faults', () => {
  let sim: RunningSimulator;
  let clock: ManualClock;

  beforeEach(async () => {
    clock = new ManualClock();
    sim = await startSim({ users: ['u1'], now: clock.now });
  });
  afterEach(() => sim.stop());

  test('GIVEN the token endpoint is down for a minute WHEN a refresh arrives THEN 503 temporarily_unavailable and no token is minted', async () => {
    sim.configure({ faults: { tokenOutage: { durationMs: 60_000 } } });
    const response = await refresh(sim, 'refresh-u1');
    expect(response.status).toBe(503);
    expect(response.json.error).toBe('temporarily_unavailable');
    expect(sim.stats().users.u1?.tokensMinted ?? 0).toBe(0);
  });

  test('GIVEN the token endpoint outage has passed WHEN a refresh arrives THEN a token is minted', async () => {
    sim.configure({ faults: { tokenOutage: { durationMs: 60_000 } } });
    clock.advance(60_000);
    const response = await refresh(sim, 'refresh-u1');
    expect(response.status).toBe(200);
    expect(typeof response.json.access_token).toBe('string');
  });

  test('GIVEN the API is unresponsive WHEN a request arrives THEN no answer comes before the client gives up, and it counts as a timeout', async () => {
    const token = await accessToken(sim);
    sim.configure({ faults: { unresponsive: { durationMs: 60_000 } } });
    const answer = api(sim, token, 'GET', '/sequences', undefined, { signal: AbortSignal.timeout(300) });
    await expect(answer).rejects.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sim.stats().users.u1?.byStatus.timeout).toBe(1);
  });

  test('GIVEN the unresponsive window has passed WHEN a request arrives THEN it is answered', async () => {
    const token = await accessToken(sim);
    sim.configure({ faults: { unresponsive: { durationMs: 60_000 } } });
    clock.advance(60_000);
    expect((await api(sim, token, 'GET', '/sequences')).status).toBe(200);
  });

  test('GIVEN two bare 429s WHEN three requests arrive THEN two get 429 without Retry-After or rate-limit headers, then service resumes', async () => {
    const token = await accessToken(sim);
    sim.configure({ faults: { bare429Next: 2 } });
    const responses = [];
    for (let i = 0; i < 3; i += 1) responses.push(await api(sim, token, 'GET', '/sequences'));
    expect(responses.map((r) => r.status)).toEqual([429, 429, 200]);
    const headerNames = [...(responses[0]?.headers.keys() ?? [])];
    expect(headerNames.filter((name) => name === 'retry-after' || name.startsWith('x-ratelimit'))).toEqual([]);
    expect(responses[2]?.headers.get('x-ratelimit-remaining')).not.toBeNull();
  });

  test("GIVEN a user's tokens are revoked WHEN its refresh token is used THEN invalid_grant", async () => {
    sim.revokeUser('u1');
    const response = await refresh(sim, 'refresh-u1');
    expect(response.status).toBe(400);
    expect(response.json.error).toBe('invalid_grant');
  });

  test("GIVEN a user's tokens are revoked WHEN its access token is used THEN 401", async () => {
    const token = await accessToken(sim);
    sim.revokeUser('u1');
    expect((await api(sim, token, 'GET', '/sequences')).status).toBe(401);
  });

  test('GIVEN a revoked user authorises the app again WHEN the new refresh token is used THEN a token is minted', async () => {
    sim.revokeUser('u1');
    const fresh = sim.authorize('u1');
    const response = await refresh(sim, fresh);
    expect(response.status).toBe(200);
    expect(typeof response.json.refresh_token).toBe('string');
  });

  test('GIVEN a patch with a negative outage duration WHEN configured THEN it is refused naming the field', () => {
    expect(() => sim.configure({ faults: { tokenOutage: { durationMs: -1 } } })).toThrow(
      /faults\.tokenOutage\.durationMs/,
    );
  });
});
