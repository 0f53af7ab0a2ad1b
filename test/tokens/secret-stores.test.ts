import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import {
  InMemorySecretStore,
  LOCAL_APP_SECRET_ID,
  LocalCredentialsError,
  localCredentials,
  localRefreshTokenSecretId,
  parseRefreshTokenArguments,
} from '../../lambdas/adapters/in-memory-secrets';
import { SecretStoreError, SecretsManagerSecretStore } from '../../lambdas/adapters/secrets-manager-store';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:refresh-u1';
const client = new SecretsManagerClient({ region: 'eu-west-1' });
const secretsMock = mockClient(client);

beforeEach(() => {
  secretsMock.reset();
});

describe('SecretsManagerSecretStore', () => {
  it('GIVEN a secret with a string WHEN read THEN the string comes back', async () => {
    secretsMock.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({ SecretString: 'REFRESH' });

    expect(await new SecretsManagerSecretStore(client).getSecretString(SECRET_ARN)).toBe('REFRESH');
  });

  it('GIVEN no such secret (or one without a value) WHEN read THEN it reads as undefined', async () => {
    secretsMock
      .on(GetSecretValueCommand)
      .rejects(new ResourceNotFoundException({ message: "Secrets Manager can't find the secret", $metadata: {} }));

    expect(await new SecretsManagerSecretStore(client).getSecretString(SECRET_ARN)).toBeUndefined();
  });

  it('GIVEN Secrets Manager refuses WHEN read THEN a SecretStoreError names the secret and the error', async () => {
    secretsMock
      .on(GetSecretValueCommand)
      .rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));

    const error = await new SecretsManagerSecretStore(client).getSecretString(SECRET_ARN).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(SecretStoreError);
    expect((error as Error).message).toBe(`reading secret ${SECRET_ARN} failed: AccessDeniedException`);
  });

  it('GIVEN a new refresh token WHEN written THEN it is put as the secret string', async () => {
    secretsMock.on(PutSecretValueCommand).resolves({});

    await new SecretsManagerSecretStore(client).putSecretString(SECRET_ARN, 'REFRESH-NEW');

    expect(secretsMock).toHaveReceivedCommandWith(PutSecretValueCommand, {
      SecretId: SECRET_ARN,
      SecretString: 'REFRESH-NEW',
    });
  });

  it('GIVEN Secrets Manager refuses a write WHEN written THEN the error names the secret and never the value', async () => {
    secretsMock
      .on(PutSecretValueCommand)
      .rejects(Object.assign(new Error('value REFRESH-NEW rejected'), { name: 'LimitExceededException' }));

    const error = await new SecretsManagerSecretStore(client)
      .putSecretString(SECRET_ARN, 'REFRESH-NEW')
      .catch((e) => e);

    expect(error).toBeInstanceOf(SecretStoreError);
    expect((error as Error).message).toBe(`writing secret ${SECRET_ARN} failed: LimitExceededException`);
  });

  it.each([
    ['an empty id', () => new SecretsManagerSecretStore(client).getSecretString(''), /secret id/],
    ['an empty value', () => new SecretsManagerSecretStore(client).putSecretString(SECRET_ARN, ''), /non-empty string/],
  ])('GIVEN %s WHEN called THEN a SecretStoreError says what is wrong', async (_given, call, message) => {
    await expect(call()).rejects.toThrow(message);
  });
});

describe('local credentials', () => {
  it('GIVEN command-line credentials WHEN laid out THEN the app secret is the deployed JSON shape and each user has a secret', async () => {
    const local = localCredentials({
      clientId: 'sim-client',
      clientSecret: 'sim-secret',
      refreshTokens: { u1: 'refresh-u1', u2: ' refresh-u2 ' },
    });

    expect(JSON.parse((await local.secrets.getSecretString(local.appSecretId)) ?? '')).toEqual({
      clientId: 'sim-client',
      clientSecret: 'sim-secret',
    });
    expect(local.refreshTokenSecretIds).toEqual({
      u1: localRefreshTokenSecretId('u1'),
      u2: localRefreshTokenSecretId('u2'),
    });
    expect(await local.secrets.getSecretString(localRefreshTokenSecretId('u2'))).toBe('refresh-u2');
    expect(local.appSecretId).toBe(LOCAL_APP_SECRET_ID);
  });

  it.each([
    [{ clientId: '' }, '--client-id must not be empty'],
    [{ clientSecret: ' ' }, '--client-secret must not be empty'],
    [{ refreshTokens: { u1: '' } }, '--refresh-token for user "u1" must not be empty'],
  ])('GIVEN %j WHEN laid out THEN the error names the argument', (input, message) => {
    expect(() =>
      localCredentials({ clientId: 'sim-client', clientSecret: 'sim-secret', refreshTokens: {}, ...input }),
    ).toThrow(new LocalCredentialsError(message));
  });

  it('GIVEN --refresh-token values WHEN parsed THEN tokens come back by user, split at the first "="', () => {
    expect(parseRefreshTokenArguments(['u1=refresh-u1', 'u2=abc=def'])).toEqual({ u1: 'refresh-u1', u2: 'abc=def' });
  });

  it.each([
    [['u1'], '--refresh-token #1 must look like user=token'],
    [['=SECRET'], '--refresh-token #1 must look like user=token'],
    [['u1='], '--refresh-token for user "u1" has no token after "="'],
    [['u1=a', 'u1=b'], '--refresh-token is given twice for user "u1"'],
  ])('GIVEN %j WHEN parsed THEN the error names the argument without its token', (values, message) => {
    expect(() => parseRefreshTokenArguments(values)).toThrow(new LocalCredentialsError(message));
  });

  it('GIVEN an in-memory store WHEN a secret is written THEN reading it returns the new value', async () => {
    const secrets = new InMemorySecretStore({ a: 'old' });

    await secrets.putSecretString('a', 'new');

    expect(await secrets.getSecretString('a')).toBe('new');
  });
});
