import { headerValue, retryAfterEnd } from '../gate/headers';
import type { OAuthClient, OAuthRefreshResult, SecretStore } from '../tokens/ports';

/** Raised for an OAuth client that cannot be built from its options. */
export class OAuthClientError extends Error {
  override readonly name = 'OAuthClientError';
}

/** Options of {@link FetchOAuthClient}. */
export interface FetchOAuthClientOptions {
  /** Outreach's token endpoint (`GateConfig.outreach.tokenUrl`). */
  readonly tokenUrl: string;
  /** A token request that takes longer is aborted and reported as an error. */
  readonly timeoutMs: number;
  /** Where the OAuth app's credentials live. */
  readonly secrets: SecretStore;
  /** Id of the secret holding `{"clientId": "...", "clientSecret": "..."}`. */
  readonly appSecretId: string;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Epoch-ms clock, to read a `Retry-After` in delta-seconds. @default Date.now */
  readonly clock?: () => number;
}

interface ClientCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
}

/** Longest piece of an error answer quoted in a result's detail. */
const DETAIL_LIMIT = 200;

/**
 * Outreach's token endpoint over `fetch`: the refresh-token grant, form-encoded, with the app's client id and
 * secret read once from the app secret and kept (read again after Outreach rejects them). Every outcome is a
 * result, never a throw; no detail ever quotes a token or the client secret.
 */
export class FetchOAuthClient implements OAuthClient {
  private readonly tokenUrl: string;
  private readonly timeoutMs: number;
  private readonly secrets: SecretStore;
  private readonly appSecretId: string;
  private readonly doFetch: typeof fetch;
  private readonly clock: () => number;
  private credentials: Promise<ClientCredentials> | undefined;

  constructor(options: FetchOAuthClientOptions) {
    try {
      new URL(options.tokenUrl);
    } catch {
      throw new OAuthClientError(`tokenUrl must be an absolute URL, got ${JSON.stringify(options.tokenUrl)}`);
    }
    if (!(Number.isFinite(options.timeoutMs) && options.timeoutMs > 0)) {
      throw new OAuthClientError(`timeoutMs must be a positive number, got ${options.timeoutMs}`);
    }
    if (typeof options.appSecretId !== 'string' || options.appSecretId.trim() === '') {
      throw new OAuthClientError('appSecretId must not be empty');
    }
    this.tokenUrl = options.tokenUrl;
    this.timeoutMs = options.timeoutMs;
    this.secrets = options.secrets;
    this.appSecretId = options.appSecretId;
    this.doFetch = options.fetch ?? fetch;
    this.clock = options.clock ?? Date.now;
  }

  async refresh(refreshToken: string): Promise<OAuthRefreshResult> {
    if (typeof refreshToken !== 'string' || refreshToken === '') {
      return { kind: 'error', detail: 'the refresh token is empty' };
    }
    let credentials: ClientCredentials;
    try {
      credentials = await this.clientCredentials();
    } catch (error) {
      return { kind: 'error', detail: (error as Error).message };
    }
    const secrets = [refreshToken, credentials.clientSecret];
    const body = new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: credentials.clientId,
      client_secret: credentials.clientSecret,
    });
    let response: Response;
    let text: string;
    try {
      response = await this.doFetch(this.tokenUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
        body: body.toString(),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        return { kind: 'error', detail: `no answer from the token endpoint within ${this.timeoutMs} ms` };
      }
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const reason = cause?.code ?? cause?.message ?? (error as Error).message;
      return { kind: 'error', detail: scrub(`the token endpoint could not be reached: ${reason}`, secrets) };
    }
    return this.interpret(response, text, secrets);
  }

  private interpret(response: Response, text: string, secrets: readonly string[]): OAuthRefreshResult {
    const json = parseJson(text);
    if (response.status === 429) {
      const retryAfterMs = retryAfterEnd(headerValue(response.headers, 'retry-after'), this.clock());
      return retryAfterMs === undefined ? { kind: 'throttled' } : { kind: 'throttled', retryAfterMs };
    }
    const error = typeof json?.error === 'string' ? json.error : undefined;
    const description = typeof json?.error_description === 'string' ? json.error_description : undefined;
    if (error === 'invalid_grant') {
      return { kind: 'invalid-grant', detail: scrub(description ?? 'the refresh token is invalid', secrets) };
    }
    if (error === 'invalid_client' || response.status === 401) {
      this.credentials = undefined; // an operator may have fixed the app secret: read it again next time
      return {
        kind: 'error',
        detail: scrub(
          `the token endpoint rejected the client credentials from secret ${this.appSecretId} (${response.status} ${error ?? ''}${description ? `: ${description}` : ''})`,
          secrets,
        ),
      };
    }
    if (response.status !== 200 && response.status !== 201) {
      const excerpt =
        error === undefined ? text.slice(0, DETAIL_LIMIT) : `${error}${description ? `: ${description}` : ''}`;
      return { kind: 'error', detail: scrub(`the token endpoint answered ${response.status}: ${excerpt}`, secrets) };
    }
    const accessToken = json?.access_token;
    const refreshToken = json?.refresh_token;
    const expiresIn = json?.expires_in;
    const missing = [
      typeof accessToken === 'string' && accessToken !== '' ? undefined : 'access_token',
      typeof refreshToken === 'string' && refreshToken !== '' ? undefined : 'refresh_token',
      typeof expiresIn === 'number' && Number.isFinite(expiresIn) && expiresIn > 0 ? undefined : 'expires_in',
    ].filter((field) => field !== undefined);
    if (missing.length > 0 || typeof accessToken !== 'string' || typeof refreshToken !== 'string') {
      const detail = `the token endpoint answered ${response.status} without a usable ${missing.join(', ')}`;
      // A new refresh token replaces the one just sent even when the rest of the answer is unusable.
      return typeof refreshToken === 'string' && refreshToken !== ''
        ? { kind: 'error', detail, refreshToken }
        : { kind: 'error', detail };
    }
    return { kind: 'minted', accessToken, refreshToken, expiresInSeconds: expiresIn as number };
  }

  private clientCredentials(): Promise<ClientCredentials> {
    if (this.credentials === undefined) {
      const reading = this.readClientCredentials();
      this.credentials = reading;
      reading.catch(() => {
        if (this.credentials === reading) this.credentials = undefined; // try again on the next call
      });
    }
    return this.credentials;
  }

  private async readClientCredentials(): Promise<ClientCredentials> {
    let raw: string | undefined;
    try {
      raw = await this.secrets.getSecretString(this.appSecretId);
    } catch (error) {
      throw new OAuthClientError(`reading the app secret ${this.appSecretId} failed: ${(error as Error).message}`);
    }
    const expected = 'JSON {"clientId": "...", "clientSecret": "..."}';
    if (raw === undefined)
      throw new OAuthClientError(`the app secret ${this.appSecretId} holds no value; store ${expected}`);
    const json = parseJson(raw);
    const clientId = json?.clientId;
    const clientSecret = json?.clientSecret;
    if (typeof clientId !== 'string' || clientId === '' || typeof clientSecret !== 'string' || clientSecret === '') {
      throw new OAuthClientError(`the app secret ${this.appSecretId} must hold ${expected}`);
    }
    return { clientId, clientSecret };
  }
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** `text` with every secret (and its form-encoded spelling) replaced. */
function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret === '') continue;
    for (const spelling of new Set([secret, encodeURIComponent(secret)])) out = out.split(spelling).join('[redacted]');
  }
  return out;
}
