import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readMonitorEnvironment } from '../../lambdas/monitor/environment';
import { environmentConfigText, usersFileText } from '../../lambdas/shared/config';
import { ENV } from '../../lambdas/shared/names';
import { resolveGateSettings } from '../../lib/settings';

const usersFile = join(mkdtempSync(join(tmpdir(), 'monitor-env-')), 'users.json');
writeFileSync(usersFile, usersFileText(['alice']));

const valid = (): NodeJS.ProcessEnv => ({
  [ENV.tableName]: 'gate',
  [ENV.config]: environmentConfigText(resolveGateSettings({ outreachUsers: ['alice'] }).gate),
  [ENV.usersFile]: usersFile,
  [ENV.eventSourceMappings]: JSON.stringify({ critical: ['a'], standard: ['b'], bulk: ['c'] }),
  [ENV.pauseAfterMs]: '300000',
  AWS_REGION: 'eu-west-1',
});

describe('readMonitorEnvironment', () => {
  it('GIVEN the environment the stack sets THEN the monitor reads its table, users, mappings and threshold', () => {
    const environment = readMonitorEnvironment(valid());
    expect([
      environment.tableName,
      environment.config.users,
      environment.mappings.bulk,
      environment.pauseAfterMs,
    ]).toEqual(['gate', ['alice'], ['c'], 300_000]);
  });

  it.each([
    [
      { [ENV.eventSourceMappings]: '{"critical":["a"],"standard":["b"]}' },
      /GATE_EVENT_SOURCE_MAPPINGS is invalid: bulk/,
    ],
    [{ [ENV.eventSourceMappings]: '{' }, /GATE_EVENT_SOURCE_MAPPINGS is not valid JSON/],
    [{ [ENV.pauseAfterMs]: 'soon' }, /PUMP_PAUSE_AFTER_MS must be a non-negative integer, got "soon"/],
  ])('GIVEN %j THEN it fails naming the variable', (override, message) => {
    expect(() => readMonitorEnvironment({ ...valid(), ...override })).toThrow(message);
  });
});
