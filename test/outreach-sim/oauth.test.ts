/** Contract item 8: POST /oauth/token, token rotation, mint limit, 401s and dead refresh tokens. */
import type { RunningSimulator } from '../../local/outreach-sim';
import { api, ManualClock, refresh, startSim } from './helpers';

describe('OAuth token endpoint', () => {
  let sim: RunningSimulator;
  const clock = new ManualClock();

  beforeEach(async () => {
    sim = await startSim({ users: ['u1'], now: clock.now, windowSeconds: 3600 });
  });
  afterEach(() => sim.stop());

  test('GIVEN the development credentials WHEN refreshing with a form body THEN a token pair with a new refresh token', async () => {
    const response = await refresh(sim, 'refresh-u1');
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({
      access_token: expect.any(String),
      token_type: 'bearer',
      expires_in: 7200,
      refresh_token: expect.any(String),
    });
    expect(response.json.refresh_token).not.toBe('refresh-u1');
    expect(response.headers.get('x-ratelimit-limit')).toBeNull();
  });

  test('GIVEN a JSON body WHEN refreshing THEN it is accepted too', async () => {
    expect((await refresh(sim, 'refresh-u1', { asJson: true })).status).toBe(200);
  });

  test('GIVEN a mint WHEN another is asked within 60 s THEN 429 text/plain "Retry later" without rate-limit headers', async () => {
    const first = await refresh(sim, 'refresh-u1');
    clock.advance(30_000);
    const second = await refresh(sim, first.json.refresh_token);
    expect(second.status).toBe(429);
    expect(second.headers.get('content-type')).toBe('text/plain');
    expect(second.text).toBe('Retry later\n');
    expect([...second.headers.keys()].filter((name) => name.startsWith('x-ratelimit'))).toEqual([]);
    expect(sim.stats().users.u1).toMatchObject({ tokensMinted: 1, mintsRefused: 1 });
  });

  test('GIVEN every refresh rotates the token WHEN 100 newer ones exist THEN the old one is invalid_grant', async () => {
    let latest = 'refresh-u1';
    for (let i = 0; i < 100; i += 1) {
      const response = await refresh(sim, latest);
      expect(response.status).toBe(200);
      latest = response.json.refresh_token;
      clock.advance(60_000);
    }
    const dead = await refresh(sim, 'refresh-u1');
    expect(dead.status).toBe(400);
    expect(dead.json.error).toBe('invalid_grant');
    expect((await refresh(sim, latest)).status).toBe(200);
  });

  test('GIVEN an access token WHEN it has expired THEN the API answers 401', async () => {
    const token = (await refresh(sim, 'refresh-u1')).json.access_token;
    expect((await api(sim, token, 'GET', '/sequences')).status).toBe(200);
    clock.advance(7_200_000);
    const response = await api(sim, token, 'GET', '/sequences');
    expect(response.status).toBe(401);
    expect(response.json).toEqual({ error: 'Invalid JWT token.', description: 'The access token expired.' });
  });

  test('GIVEN an unknown access token WHEN used THEN 401 without rate-limit headers', async () => {
    const response = await api(sim, 'not-a-token', 'GET', '/sequences');
    expect(response.status).toBe(401);
    expect(response.json.error).toBe('Invalid JWT token.');
    expect(sim.stats().total.byStatus['401']).toBe(1);
  });

  test('GIVEN a wrong client secret WHEN refreshing THEN 401 invalid_client', async () => {
    const response = await refresh(sim, 'refresh-u1', { clientSecret: 'nope' });
    expect(response.status).toBe(401);
    expect(response.json.error).toBe('invalid_client');
  });
});
