import type { SecretStore } from '../tokens/ports';

/** Raised for local credentials that cannot be used; the message names the problem, never a secret. */
export class LocalCredentialsError extends Error {
  override readonly name = 'LocalCredentialsError';
}

/**
 * Secrets in a Map, for local runs where there is no Secrets Manager. Writes replace the value, as a new
 * Secrets Manager version would; nothing survives the process.
 */
export class InMemorySecretStore implements SecretStore {
  private readonly values: Map<string, string>;

  constructor(initial: Readonly<Record<string, string>> = {}) {
    this.values = new Map(Object.entries(initial));
  }

  async getSecretString(id: string): Promise<string | undefined> {
    checkId(id);
    return this.values.get(id);
  }

  async putSecretString(id: string, value: string): Promise<void> {
    checkId(id);
    if (typeof value !== 'string' || value === '') {
      throw new LocalCredentialsError(`the value written to secret ${id} must be a non-empty string`);
    }
    this.values.set(id, value);
  }
}

/** Id of the OAuth app's secret in a local run. */
export const LOCAL_APP_SECRET_ID = 'local/outreach-app';

/** Id of a user's refresh-token secret in a local run. */
export const localRefreshTokenSecretId = (user: string): string => `local/refresh-token/${user}`;

/** What a local run knows about the Outreach app and its users (`--client-id`, `--client-secret`, `--refresh-token`). */
export interface LocalCredentialsInput {
  readonly clientId: string;
  readonly clientSecret: string;
  /** Each user's refresh token, by user. */
  readonly refreshTokens: Readonly<Record<string, string>>;
}

/** Secrets laid out as the stack lays them out in Secrets Manager, with the ids to find them by. */
export interface LocalCredentials {
  readonly secrets: InMemorySecretStore;
  /** Holds `{"clientId","clientSecret"}`, like the deployed app secret. */
  readonly appSecretId: string;
  /** Each user's refresh-token secret id, by user. */
  readonly refreshTokenSecretIds: Readonly<Record<string, string>>;
}

/** Builds a local run's secrets from its command-line credentials; throws naming what is missing. */
export function localCredentials(input: LocalCredentialsInput): LocalCredentials {
  if (typeof input.clientId !== 'string' || input.clientId.trim() === '') {
    throw new LocalCredentialsError('--client-id must not be empty');
  }
  if (typeof input.clientSecret !== 'string' || input.clientSecret.trim() === '') {
    throw new LocalCredentialsError('--client-secret must not be empty');
  }
  const values: Record<string, string> = {
    [LOCAL_APP_SECRET_ID]: JSON.stringify({ clientId: input.clientId, clientSecret: input.clientSecret }),
  };
  const refreshTokenSecretIds: Record<string, string> = {};
  for (const [user, token] of Object.entries(input.refreshTokens)) {
    if (user.trim() === '') throw new LocalCredentialsError('--refresh-token needs a user name before "="');
    if (typeof token !== 'string' || token.trim() === '') {
      throw new LocalCredentialsError(`--refresh-token for user "${user}" must not be empty`);
    }
    const id = localRefreshTokenSecretId(user);
    refreshTokenSecretIds[user] = id;
    values[id] = token.trim();
  }
  return { secrets: new InMemorySecretStore(values), appSecretId: LOCAL_APP_SECRET_ID, refreshTokenSecretIds };
}

/**
 * Parses `--refresh-token` values (`user=token`, repeatable) into tokens by user; throws naming the bad
 * argument (by its user, never its token) for a missing `=`, an empty part or a user given twice.
 */
export function parseRefreshTokenArguments(values: readonly string[]): Record<string, string> {
  const tokens: Record<string, string> = {};
  values.forEach((value, index) => {
    const separator = value.indexOf('=');
    const user = separator < 0 ? '' : value.slice(0, separator).trim();
    const token = separator < 0 ? '' : value.slice(separator + 1).trim();
    if (separator < 0 || user === '') {
      throw new LocalCredentialsError(`--refresh-token #${index + 1} must look like user=token`);
    }
    if (token === '') throw new LocalCredentialsError(`--refresh-token for user "${user}" has no token after "="`);
    if (Object.hasOwn(tokens, user)) {
      throw new LocalCredentialsError(`--refresh-token is given twice for user "${user}"`);
    }
    tokens[user] = token;
  });
  return tokens;
}

function checkId(id: string): void {
  if (typeof id !== 'string' || id.trim() === '') {
    throw new LocalCredentialsError(`secret id must be a non-empty string, got ${JSON.stringify(id)}`);
  }
}
