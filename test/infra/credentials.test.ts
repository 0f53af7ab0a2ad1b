import * as path from 'node:path';
import type { CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { readUsersFile } from '../../lambdas/shared/config';
import { ENV } from '../../lambdas/shared/names';
import { USERS_FILE_PATH, writeUsersFile } from '../../lib/constructs/credentials';
import { OutreachGateStack } from '../../lib/outreach-gate-stack';
import { testApp } from './synth';

/** The stack for `users`, with each user's refresh-token secret as its logical id and name. */
function secretsOf(users: string[]) {
  const stack = new OutreachGateStack(testApp(), 'Gate', { outreachUsers: users });
  const template = Template.fromStack(stack);
  const resources = template.findResources('AWS::SecretsManager::Secret');
  const byUser = Object.fromEntries(
    Object.entries(stack.credentials.refreshTokenSecrets).map(([user, secret]) => {
      const id = stack.getLogicalId(secret.node.defaultChild as CfnElement);
      return [user, { id, name: resources[id]?.Properties.Name }];
    }),
  );
  return { stack, template, resources, byUser };
}

describe('Credentials', () => {
  it('GIVEN users [a, b, c] WHEN b is removed THEN c keeps its secret: same logical id, same name', () => {
    const before = secretsOf(['a', 'b', 'c']).byUser;
    const after = secretsOf(['a', 'c']).byUser;
    expect(after).toEqual({ a: before.a, c: before.c });
  });

  it("GIVEN a user WHEN synthesized THEN its refresh-token secret is named <prefix>/<user> under the stack's prefix", () => {
    expect(secretsOf(['alice@example.com']).byUser['alice@example.com']?.name).toBe(
      'outreach-gate/Gate/alice@example.com',
    );
  });

  it('GIVEN the stack WHEN synthesized THEN no secret is created with a value, generated or given', () => {
    const { resources } = secretsOf(['a', 'b']);
    const withValue = Object.entries(resources).filter(
      ([, r]) => r.Properties.SecretString !== undefined || r.Properties.GenerateSecretString !== undefined,
    );
    expect({ secrets: Object.keys(resources).length, withValue }).toEqual({ secrets: 3, withValue: [] });
  });

  it.each([
    ['a name with a slash', 'team/alice'],
    ['a name with a space', 'alice smith'],
    ['a name starting with a dot', '.alice'],
  ])('GIVEN %s WHEN the stack is built THEN it fails naming the user and the characters allowed', (_, user) => {
    expect(() => new OutreachGateStack(testApp(), 'Gate', { outreachUsers: [user] })).toThrow(
      `Outreach user name "${user}" must be 1–64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit`,
    );
  });

  it('GIVEN a refresh-token secret prefix with a trailing slash WHEN the stack is built THEN it fails naming the prefix', () => {
    expect(
      () => new OutreachGateStack(testApp(), 'Gate', { outreachUsers: ['a'], refreshTokenSecretPrefix: 'gate/' }),
    ).toThrow(/refreshTokenSecretPrefix: refresh-token secret prefix "gate\/" must be/);
  });

  it('GIVEN the dispatcher and the monitor THEN each has the users layer and the users file path, and no user in its environment', () => {
    const { stack, template } = secretsOf(['alice', 'bob']);
    const layer = stack.getLogicalId(stack.credentials.usersLayer.node.defaultChild as CfnElement);
    const functions = Object.values(template.findResources('AWS::Lambda::Function')).map((f) => ({
      layers: f.Properties.Layers,
      usersFile: f.Properties.Environment.Variables[ENV.usersFile],
      mentionsAUser: /alice|bob/.test(JSON.stringify(f.Properties.Environment.Variables)),
    }));
    expect(functions).toEqual(
      [1, 2].map(() => ({ layers: [{ Ref: layer }], usersFile: USERS_FILE_PATH, mentionsAUser: false })),
    );
  });

  it('GIVEN the users layer content WHEN the handler reads the users file at its path THEN it gets the users in order', () => {
    const root = writeUsersFile(['bob', 'alice']);
    const file = path.join(root, path.relative('/opt', USERS_FILE_PATH));
    expect(readUsersFile({ [ENV.usersFile]: file })).toEqual(['bob', 'alice']);
  });
});
