import { Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

/** Properties of {@link Credentials}. */
export interface CredentialsProps {
  /** Outreach users the gate acts as; each gets a secret for its rotating refresh token. */
  readonly users: readonly string[];
}

/**
 * Where Outreach credentials live: one secret for the OAuth app (`{"clientId","clientSecret"}`), and one secret
 * per Outreach user holding the refresh token an operator obtained when authorising the app. Outreach hands out a
 * new refresh token on every refresh; the dispatcher keeps the newest one current in these secrets.
 */
export class Credentials extends Construct {
  /** The OAuth app's client id and secret, as JSON. Set after deployment. */
  public readonly appSecret: secretsmanager.Secret;
  /** Each user's refresh-token secret, by user. */
  public readonly refreshTokenSecrets: Readonly<Record<string, secretsmanager.Secret>>;

  constructor(scope: Construct, id: string, props: CredentialsProps) {
    super(scope, id);
    this.appSecret = new secretsmanager.Secret(this, 'OutreachApp', {
      description: 'Outreach OAuth app credentials as JSON: {"clientId": "...", "clientSecret": "..."}',
    });
    const refreshTokenSecrets: Record<string, secretsmanager.Secret> = {};
    props.users.forEach((user, index) => {
      refreshTokenSecrets[user] = new secretsmanager.Secret(this, `RefreshToken${index}`, {
        description: `Outreach refresh token of user ${user}; the gate replaces it with the newest on every refresh`,
      });
    });
    this.refreshTokenSecrets = refreshTokenSecrets;
    Validations.of(this).acknowledge({
      id: 'AwsSolutions::AwsSolutions-SMG4',
      reason:
        'Outreach credentials cannot be rotated by a Secrets Manager rotation Lambda: the client secret is rotated in Outreach, and each refresh token is replaced by the dispatcher on every token refresh (Outreach issues a new one each time).',
    });
  }

  /** Lets `grantee` read the app secret and read and replace the users' refresh tokens, and nothing else. */
  public grantUse(grantee: iam.IGrantable): void {
    // Only what the dispatcher calls: GetSecretValue, and PutSecretValue to store the newest refresh token.
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['secretsmanager:GetSecretValue'],
      resourceArns: [this.appSecret.secretArn],
    });
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'],
      resourceArns: Object.values(this.refreshTokenSecrets).map((secret) => secret.secretArn),
    });
  }
}
