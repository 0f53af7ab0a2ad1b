import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { SecretStore } from '../tokens/ports';

/** Raised when Secrets Manager cannot be read or written; the message names the secret, never its value. */
export class SecretStoreError extends Error {
  override readonly name = 'SecretStoreError';
}

/**
 * Secrets in AWS Secrets Manager: the OAuth app's credentials and each user's refresh token. A secret with no
 * value yet (or no such secret) reads as undefined; writing puts a new version that becomes `AWSCURRENT`.
 */
export class SecretsManagerSecretStore implements SecretStore {
  constructor(private readonly client: SecretsManagerClient) {}

  async getSecretString(id: string): Promise<string | undefined> {
    checkId(id);
    try {
      const output = await this.client.send(new GetSecretValueCommand({ SecretId: id }));
      return output.SecretString;
    } catch (error) {
      if (error instanceof ResourceNotFoundException || errorName(error) === 'ResourceNotFoundException') {
        return undefined; // no secret, or one that never got a value
      }
      throw new SecretStoreError(`reading secret ${id} failed: ${errorName(error) ?? 'unknown error'}`, {
        cause: error,
      });
    }
  }

  async putSecretString(id: string, value: string): Promise<void> {
    checkId(id);
    if (typeof value !== 'string' || value === '') {
      throw new SecretStoreError(`the value written to secret ${id} must be a non-empty string`);
    }
    try {
      await this.client.send(new PutSecretValueCommand({ SecretId: id, SecretString: value }));
    } catch (error) {
      throw new SecretStoreError(`writing secret ${id} failed: ${errorName(error) ?? 'unknown error'}`, {
        cause: error,
      });
    }
  }
}

function checkId(id: string): void {
  if (typeof id !== 'string' || id.trim() === '') {
    throw new SecretStoreError(`secret id must be a non-empty string, got ${JSON.stringify(id)}`);
  }
}

/** The SDK error's name only: its message is Secrets Manager's, and the name is enough to act on. */
function errorName(error: unknown): string | undefined {
  const name = (error as { name?: unknown })?.name;
  return typeof name === 'string' ? name : undefined;
}
