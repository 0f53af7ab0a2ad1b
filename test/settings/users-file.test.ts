import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EnvironmentError, environmentConfigText, readGateConfig, usersFileText } from '../../lambdas/shared/config';
import { ENV } from '../../lambdas/shared/names';
import { resolveGateSettings } from '../../lib/settings';

const directory = mkdtempSync(join(tmpdir(), 'users-file-'));
const config = resolveGateSettings({ outreachUsers: ['alice', 'bob'] }).gate;

/** A file in the test's folder holding `text`. */
function fileWith(name: string, text: string): string {
  const file = join(directory, name);
  writeFileSync(file, text);
  return file;
}

const environment = (usersFile: string, configText = environmentConfigText(config)): NodeJS.ProcessEnv => ({
  [ENV.config]: configText,
  [ENV.usersFile]: usersFile,
});

describe('the runtime configuration read at cold start', () => {
  it('GIVEN the environment without users and the users file THEN the configuration is the one the settings resolved', () => {
    expect(readGateConfig(environment(fileWith('ok.json', usersFileText(config.users))))).toEqual(config);
  });

  it('GIVEN the configuration text for the environment THEN it holds no user', () => {
    expect(JSON.parse(environmentConfigText(config))).not.toHaveProperty('users');
  });

  it('GIVEN no users file variable WHEN read THEN it fails naming the variable', () => {
    expect(() => readGateConfig({ [ENV.config]: environmentConfigText(config) })).toThrow(
      new EnvironmentError('environment variable GATE_USERS_FILE is not set'),
    );
  });

  it('GIVEN a users file that does not exist WHEN read THEN it fails naming the file and why', () => {
    const missing = join(directory, 'missing.json');
    expect(() => readGateConfig(environment(missing))).toThrow(
      `the users file ${missing} (environment variable GATE_USERS_FILE) cannot be read: ENOENT`,
    );
  });

  it('GIVEN a users file naming a user with a slash WHEN read THEN it fails naming the file and the user', () => {
    const file = fileWith('bad-user.json', JSON.stringify({ version: 1, users: ['alice', 'team/bob'] }));
    expect(() => readGateConfig(environment(file))).toThrow(
      new RegExp(`the users file ${file} is invalid: users: Outreach user name "team/bob" must be`),
    );
  });

  it('GIVEN a users file listing a user twice WHEN read THEN it fails naming the user', () => {
    const file = fileWith('twice.json', usersFileText(['alice', 'alice']));
    expect(() => readGateConfig(environment(file))).toThrow(/Outreach user "alice" is listed twice/);
  });

  it('GIVEN users in the configuration variable WHEN read THEN it fails: the users file is the one source of users', () => {
    const file = fileWith('ok2.json', usersFileText(['alice']));
    expect(() => readGateConfig(environment(file, JSON.stringify(config)))).toThrow(
      /environment variable GATE_CONFIG is invalid: .*users/,
    );
  });
});
