import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
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
  [ENV.metricsNamespace]: 'OutreachGate/Sales',
  AWS_REGION: 'eu-west-1',
});

describe('readMonitorEnvironment', () => {
  it('GIVEN the environment the stack sets THEN the monitor reads its table, users, mappings, threshold and metrics namespace', () => {
    const environment = readMonitorEnvironment(valid());
    expect([
      environment.tableName,
      environment.config.users,
      environment.mappings.bulk,
      environment.pauseAfterMs,
      environment.metricsNamespace,
    ]).toEqual(['gate', ['alice'], ['c'], 300_000, 'OutreachGate/Sales']);
  });

  it('GIVEN no metrics namespace WHEN the monitor starts THEN it fails naming the variable, instead of publishing to a default namespace no alarm reads', () => {
    const { [ENV.metricsNamespace]: _namespace, ...environment } = valid();
    expect(() => readMonitorEnvironment(environment)).toThrow(
      'environment variable POWERTOOLS_METRICS_NAMESPACE is not set',
    );
  });

  it.each([
    [
      { [ENV.eventSourceMappings]: '{"critical":["a"],"standard":["b"]}' },
      /GATE_EVENT_SOURCE_MAPPINGS is invalid: bulk/,
    ],
    [{ [ENV.eventSourceMappings]: '{' }, /GATE_EVENT_SOURCE_MAPPINGS is not valid JSON/],
    [{ [ENV.pauseAfterMs]: 'soon' }, /PUMP_PAUSE_AFTER_MS must be a non-negative integer, got "soon"/],
    [
      { [ENV.metricsNamespace]: 'AWS/Lambda' },
      /POWERTOOLS_METRICS_NAMESPACE is invalid: metrics namespace "AWS\/Lambda" must not start with 'AWS\/'/,
    ],
  ])('GIVEN %j THEN it fails naming the variable', (override, message) => {
    expect(() => readMonitorEnvironment({ ...valid(), ...override })).toThrow(message);
  });
});

describe('WHEN the deployed monitor is invoked without POWERTOOLS_METRICS_NAMESPACE', () => {
  const saved = process.env;
  afterEach(() => {
    process.env = saved;
  });

  it('THEN the cold start fails naming the variable and no gauge is published to a default namespace', async () => {
    const { [ENV.metricsNamespace]: _namespace, ...environment } = valid();
    process.env = { ...saved, ...environment };
    const written: string[] = [];
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    let failure: unknown;
    try {
      const { handler } = await import('../../lambdas/monitor/handler');
      await handler({}, { functionName: 'monitor', awsRequestId: 'r1' } as Context).catch((error) => {
        failure = error;
      });
    } finally {
      stdout.mockRestore();
    }
    expect({ failure: String(failure), emf: written.filter((line) => line.includes('"_aws"')) }).toEqual({
      failure: 'EnvironmentError: environment variable POWERTOOLS_METRICS_NAMESPACE is not set',
      emf: [],
    });
  });
});
