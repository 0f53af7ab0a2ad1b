import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ArnFormat, Stack, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import {
  refreshTokenSecretName,
  secretPrefixProblem,
  userListProblems,
  usersFileText,
} from '../../lambdas/shared/config';
import { ENV } from '../../lambdas/shared/names';
import { gatePathBelowStack } from '../gate-path';

/** Properties of {@link Credentials}. */
export interface CredentialsProps {
  /** Outreach users the gate acts as; each gets a secret for its rotating refresh token. */
  readonly users: readonly string[];
  /**
   * Name prefix of the users' refresh-token secrets: user `u`'s secret is `<prefix>/u`. Unique per stack in an
   * account and region (Secrets Manager names are).
   * @default `outreach-gate/<stack name>`
   */
  readonly refreshTokenSecretPrefix?: string;
}

/** Where the users file lands in a function that has the users layer (layers are extracted under /opt). */
export const USERS_FILE_PATH = '/opt/outreach-gate/users.json';

/**
 * The default refresh-token secret prefix: `outreach-gate/<stack name>`, followed by the gate's construct path
 * below its stack when the gate is not the stack's own (so two gates in one stack never share a secret name).
 * Characters a secret name may not hold become `-`.
 */
export function defaultRefreshTokenSecretPrefix(stackName: string, gatePath: readonly string[] = []): string {
  const parts = gatePath.filter((id) => id !== 'Default').map((id) => id.replace(/[^A-Za-z0-9_+=.@-]/g, '-'));
  return ['outreach-gate', stackName, ...parts].join('/');
}

/**
 * Where Outreach credentials and users live: one secret for the OAuth app (`{"clientId","clientSecret"}`), one
 * secret per Outreach user named `<prefix>/<user>` holding the refresh token an operator obtained when authorising
 * the app, and a Lambda layer holding the users file the functions read at cold start. Secrets are created without
 * a value: a user whose secret is still empty waits (and raises the credential alarm) until one is stored. Outreach
 * hands out a new refresh token on every refresh; the dispatcher keeps the newest one in these secrets.
 *
 * Every per-user resource is named after its user, never its position in the list, so adding or removing a user
 * leaves the other users' secrets alone. Nothing per-user goes into a function's environment: Lambda caps it at
 * 4 KB, and the users file and one IAM statement on `<prefix>/*` scale to hundreds of users.
 */
export class Credentials extends Construct {
  /** The OAuth app's client id and secret, as JSON. Set after deployment. */
  public readonly appSecret: secretsmanager.Secret;
  /** Each user's refresh-token secret, by user. */
  public readonly refreshTokenSecrets: Readonly<Record<string, secretsmanager.Secret>>;
  /** Name prefix of the refresh-token secrets. */
  public readonly refreshTokenSecretPrefix: string;
  /** The layer holding the users file. */
  public readonly usersLayer: lambda.LayerVersion;

  constructor(scope: Construct, id: string, props: CredentialsProps) {
    super(scope, id);
    const problems = userListProblems(props.users);
    if (problems.length > 0) throw new Error(`users: ${problems.join('; ')}`);
    const prefix =
      props.refreshTokenSecretPrefix ??
      defaultRefreshTokenSecretPrefix(
        Stack.of(this).stackName,
        this.node.scope === undefined ? [] : gatePathBelowStack(this.node.scope),
      );
    // A nested stack's name is known only at deployment (CloudFormation's names fit the rule then).
    const prefixProblem = Token.isUnresolved(prefix) ? undefined : secretPrefixProblem(prefix);
    if (prefixProblem !== undefined) throw new Error(prefixProblem);
    this.refreshTokenSecretPrefix = prefix;

    this.appSecret = emptySecret(
      this,
      'OutreachApp',
      'Outreach OAuth app credentials as JSON: {"clientId": "...", "clientSecret": "..."}',
    );
    const refreshTokenSecrets: Record<string, secretsmanager.Secret> = {};
    for (const user of props.users) {
      refreshTokenSecrets[user] = emptySecret(
        this,
        `RefreshToken-${user}`,
        `Outreach refresh token of user ${user}; the gate replaces it with the newest on every refresh`,
        refreshTokenSecretName(prefix, user),
      );
    }
    this.refreshTokenSecrets = refreshTokenSecrets;
    this.usersLayer = new lambda.LayerVersion(this, 'Users', {
      code: lambda.Code.fromAsset(writeUsersFile(props.users)),
      description: `outreach-gate users file (${props.users.length} Outreach users)`,
    });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions::AwsSolutions-SMG4',
      reason:
        'Outreach credentials cannot be rotated by a Secrets Manager rotation Lambda: the client secret is rotated in Outreach, and each refresh token is replaced by the dispatcher on every token refresh (Outreach issues a new one each time).',
    });
  }

  /**
   * Gives `fn` what it reads at cold start: the users layer, the users file's path and the secrets' prefix in
   * its environment (a few bytes, whatever the number of users).
   */
  public configure(fn: lambda.Function): void {
    fn.addLayers(this.usersLayer);
    fn.addEnvironment(ENV.usersFile, USERS_FILE_PATH);
    fn.addEnvironment(ENV.refreshTokenSecretPrefix, this.refreshTokenSecretPrefix);
  }

  /**
   * Lets `grantee` read the app secret, and read and replace the users' refresh tokens (one statement on
   * `<prefix>/*`), and nothing else.
   */
  public grantUse(grantee: iam.IGrantable): void {
    // Only what the dispatcher calls: GetSecretValue on the app secret; Get and Put (the newest refresh token) on the users'.
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['secretsmanager:GetSecretValue'],
      resourceArns: [this.appSecret.secretArn],
    });
    const secrets = `${this.refreshTokenSecretPrefix}/*`;
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'],
        resources: [
          Stack.of(this).formatArn({
            service: 'secretsmanager',
            resource: 'secret',
            resourceName: secrets,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );
    // A prefix known only at deployment (a nested stack's name) cannot name the finding: it stays unacknowledged.
    if (Construct.isConstruct(grantee.grantPrincipal) && !Token.isUnresolved(secrets)) {
      Validations.of(grantee.grantPrincipal).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${secrets}]`,
        reason:
          "The wildcard covers exactly the users' refresh-token secrets, named <prefix>/<user>: one statement for any number of users keeps the role's policy within IAM's size limit.",
      });
    }
  }
}

/**
 * A secret created without a value (CloudFormation creates an empty secret when neither `SecretString` nor
 * `GenerateSecretString` is given; the L2 would generate a random one): reading it fails until an operator
 * stores the real value, and nothing random is ever sent to Outreach as a credential.
 */
function emptySecret(scope: Construct, id: string, description: string, secretName?: string): secretsmanager.Secret {
  const secret = new secretsmanager.Secret(scope, id, { description, secretName });
  (secret.node.defaultChild as secretsmanager.CfnSecret).addPropertyDeletionOverride('GenerateSecretString');
  return secret;
}

/** Writes the users file into a new folder laid out as the layer's content (`outreach-gate/users.json`). */
export function writeUsersFile(users: readonly string[]): string {
  const root = mkdtempSync(path.join(tmpdir(), 'outreach-gate-users-'));
  const file = path.join(root, path.relative('/opt', USERS_FILE_PATH));
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, usersFileText(users));
  return root;
}
