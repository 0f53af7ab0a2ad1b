import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LOCAL_APP_SECRET_ID, localCredentials } from '../../lambdas/adapters/in-memory-secrets';
import { FetchOAuthClient, type FetchOAuthClientOptions, OAuthClientError } from '../../lambdas/adapters/oauth-client';
import type { SecretStore } from '../../lambdas/tokens/ports';
import { type RunningSimulator, startOutreachSimulator } from '../../local/outreach-sim';

let sim: RunningSimulator;

beforeAll(async () => {
  sim = await startOutreachSimulator({ users: ['u1'], timeScale: 1, oauth: { mintIntervalSeconds: 60 } });
});

afterAll(async () => {
  await sim.stop();
});

beforeEach(() => {
  sim.reset({ tokens: true });
});

const appSecrets = (clientId = 'sim-client', clientSecret = 'sim-secret') =>
  localCredentials({ clientId, clientSecret, refreshTokens: {} }).secrets;

function client(secrets: SecretStore = appSecrets(), tokenUrl = sim.tokenUrl, timeoutMs = 5000): FetchOAuthClient {
  return new FetchOAuthClient({ tokenUrl, timeoutMs, secrets, appSecretId: LOCAL_APP_SECRET_ID });
}

/** A server that accepts connections and never answers, closed after the test. */
async function silentServer(): Promise<{ url: string; server: Server }> {
  const server = createServer(() => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth/token`, server };
}

describe('FetchOAuthClient against the Outreach simulator', () => {
  it('GIVEN a live refresh token WHEN refreshed THEN an access token, its lifetime and a new refresh token come back', async () => {
    const result = await client().refresh('refresh-u1');

    expect(result).toEqual({
      kind: 'minted',
      accessToken: expect.any(String),
      expiresInSeconds: 7200,
      refreshToken: expect.not.stringMatching(/^refresh-u1$/),
    });
  });

  it('GIVEN a mint a moment ago WHEN refreshed again THEN the 429 "Retry later" answer is a throttle', async () => {
    const first = await client().refresh('refresh-u1');
    if (first.kind !== 'minted') throw new Error(`expected a mint, got ${first.kind}`);

    expect(await client().refresh(first.refreshToken)).toEqual({ kind: 'throttled' });
  });

  it('GIVEN a token endpoint answering 429 with an HTTP-date WHEN refreshed THEN the wait ends at the next whole second after it', async () => {
    const at = Date.UTC(2026, 0, 15, 12, 0, 0);
    const server = createServer((_req, res) => {
      res.writeHead(429, { 'content-type': 'text/plain', 'retry-after': new Date(at + 30_400).toUTCString() });
      res.end('Retry later\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const tokenUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth/token`;
    try {
      const throttled = await new FetchOAuthClient({
        tokenUrl,
        timeoutMs: 5000,
        secrets: appSecrets(),
        appSecretId: LOCAL_APP_SECRET_ID,
        clock: () => at,
      }).refresh('refresh-u1');
      expect(throttled).toEqual({ kind: 'throttled', retryAfterMs: at + 31_000 });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('GIVEN a refresh token Outreach never issued WHEN refreshed THEN it is an invalid grant whose detail omits the token', async () => {
    const result = await client().refresh('NEVER-ISSUED-TOKEN');

    expect(result).toEqual({ kind: 'invalid-grant', detail: expect.any(String) });
    expect(JSON.stringify(result)).not.toContain('NEVER-ISSUED-TOKEN');
  });

  it('GIVEN a wrong client secret WHEN refreshed THEN it is an error naming the app secret but not the client secret', async () => {
    const result = await client(appSecrets('sim-client', 'WRONG-CLIENT-SECRET')).refresh('refresh-u1');

    expect(result).toEqual({ kind: 'error', detail: expect.stringContaining(LOCAL_APP_SECRET_ID) });
    expect(JSON.stringify(result)).not.toContain('WRONG-CLIENT-SECRET');
  });

  it('GIVEN the client credentials were rejected WHEN an operator fixes the app secret THEN the next refresh reads it again and mints', async () => {
    const secrets = appSecrets('sim-client', 'WRONG-CLIENT-SECRET');
    const oauth = client(secrets);
    await oauth.refresh('refresh-u1');

    await secrets.putSecretString(
      LOCAL_APP_SECRET_ID,
      JSON.stringify({ clientId: 'sim-client', clientSecret: 'sim-secret' }),
    );

    expect((await oauth.refresh('refresh-u1')).kind).toBe('minted');
  });

  it('GIVEN accepted client credentials WHEN refreshing twice THEN the app secret is read once', async () => {
    const secrets = appSecrets();
    let reads = 0;
    const counting: SecretStore = {
      getSecretString: (id) => {
        reads++;
        return secrets.getSecretString(id);
      },
      putSecretString: (id, value) => secrets.putSecretString(id, value),
    };
    const oauth = client(counting);

    await oauth.refresh('refresh-u1');
    await oauth.refresh('NEVER-ISSUED-TOKEN');

    expect(reads).toBe(1);
  });
});

describe('FetchOAuthClient: unusable app secrets and endpoints', () => {
  it.each([
    ['no value', undefined, 'holds no value'],
    ['text that is not JSON', 'sim-secret', 'must hold JSON {"clientId": "...", "clientSecret": "..."}'],
    [
      'JSON without clientSecret',
      '{"clientId":"sim-client"}',
      'must hold JSON {"clientId": "...", "clientSecret": "..."}',
    ],
  ])(
    'GIVEN an app secret with %s WHEN refreshing THEN the error says what the secret must hold',
    async (_given, value, says) => {
      const secrets: SecretStore = { getSecretString: async () => value, putSecretString: async () => {} };

      expect(await client(secrets).refresh('refresh-u1')).toEqual({
        kind: 'error',
        detail: expect.stringContaining(says),
      });
    },
  );

  it('GIVEN an answer with a refresh token but no expires_in WHEN refreshing THEN it is an error that still hands back the refresh token', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ access_token: 'A', refresh_token: 'NEW-REFRESH' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth/token`;
    try {
      expect(await client(appSecrets(), url).refresh('refresh-u1')).toEqual({
        kind: 'error',
        detail: 'the token endpoint answered 200 without a usable expires_in',
        refreshToken: 'NEW-REFRESH',
      });
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('GIVEN nothing listens on the token URL WHEN refreshing THEN it is an error, not a throw', async () => {
    const { url, server } = await silentServer();
    await new Promise<void>((resolve) => server.close(() => resolve()));

    expect(await client(appSecrets(), url).refresh('refresh-u1')).toEqual({
      kind: 'error',
      detail: expect.stringContaining('could not be reached'),
    });
  });

  it('GIVEN a token endpoint that never answers WHEN refreshing THEN it is an error naming the timeout', async () => {
    const { url, server } = await silentServer();
    try {
      expect(await client(appSecrets(), url, 200).refresh('refresh-u1')).toEqual({
        kind: 'error',
        detail: 'no answer from the token endpoint within 200 ms',
      });
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  const build = (options: Partial<FetchOAuthClientOptions>) =>
    new FetchOAuthClient({
      tokenUrl: 'http://127.0.0.1:1/oauth/token',
      timeoutMs: 1000,
      secrets: appSecrets(),
      appSecretId: LOCAL_APP_SECRET_ID,
      ...options,
    });

  it.each([
    [{ tokenUrl: 'not a url' }, /tokenUrl must be an absolute URL/],
    [{ timeoutMs: 0 }, /timeoutMs must be a positive number/],
    [{ appSecretId: '' }, /appSecretId must not be empty/],
  ])('GIVEN option %j WHEN the client is built THEN an OAuthClientError names it', (options, message) => {
    expect(() => build(options)).toThrow(OAuthClientError);
    expect(() => build(options)).toThrow(message);
  });
});
