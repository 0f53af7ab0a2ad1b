/**
 * The dispatcher's metrics namespace is read and checked with the rest of its environment at cold start: a function
 * deployed without it fails at once, naming the variable, instead of publishing every metric to Powertools'
 * default namespace where no alarm of the gate would see it.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context, SQSEvent } from 'aws-lambda';
import { environmentConfigText, readDispatcherEnvironment, usersFileText } from '../../lambdas/shared/config';
import { ENV, LANES } from '../../lambdas/shared/names';
import { resolveGateSettings } from '../../lib/settings';

const usersFile = join(mkdtempSync(join(tmpdir(), 'dispatcher-env-')), 'users.json');
writeFileSync(usersFile, usersFileText(['alice']));

/** The environment an OutreachGate stack named `Sales` sets on its dispatcher (with local placeholders). */
const valid = (): NodeJS.ProcessEnv => ({
  [ENV.tableName]: 'gate',
  [ENV.lanes]: JSON.stringify(
    Object.fromEntries(
      LANES.map((lane) => [
        lane,
        {
          queueUrl: `http://127.0.0.1:1/000000000000/${lane}.fifo`,
          queueArn: `arn:aws:sqs:eu-west-1:000000000000:${lane}.fifo`,
          deadLetterQueueUrl: `http://127.0.0.1:1/000000000000/${lane}-dlq.fifo`,
        },
      ]),
    ),
  ),
  [ENV.config]: environmentConfigText(resolveGateSettings({ outreachUsers: ['alice'] }).gate),
  [ENV.usersFile]: usersFile,
  [ENV.appSecretArn]: 'arn:aws:secretsmanager:eu-west-1:000000000000:secret:app',
  [ENV.refreshTokenSecretPrefix]: 'outreach-gate/Sales',
  [ENV.metricsNamespace]: 'OutreachGate/Sales',
  AWS_REGION: 'eu-west-1',
});

const withoutNamespace = (): NodeJS.ProcessEnv => {
  const { [ENV.metricsNamespace]: _namespace, ...rest } = valid();
  return rest;
};

describe("the dispatcher's metrics namespace", () => {
  it('GIVEN the environment the stack sets WHEN read THEN the dispatcher has its gate’s namespace', () => {
    expect(readDispatcherEnvironment(valid()).metricsNamespace).toBe('OutreachGate/Sales');
  });

  it('GIVEN no POWERTOOLS_METRICS_NAMESPACE WHEN the environment is read THEN it fails naming the variable', () => {
    expect(() => readDispatcherEnvironment(withoutNamespace())).toThrow(
      'environment variable POWERTOOLS_METRICS_NAMESPACE is not set',
    );
  });

  it('GIVEN a namespace CloudWatch refuses WHEN the environment is read THEN it fails naming the variable and the value', () => {
    expect(() => readDispatcherEnvironment({ ...valid(), [ENV.metricsNamespace]: 'Outreach"Gate' })).toThrow(
      /POWERTOOLS_METRICS_NAMESPACE is invalid: metrics namespace "Outreach\\"Gate" may hold only/,
    );
  });

  describe('WHEN the deployed handler is invoked without it', () => {
    const saved = process.env;
    afterEach(() => {
      process.env = saved;
    });

    it('THEN the cold start fails naming the variable and nothing is published to a default namespace', async () => {
      process.env = { ...saved, ...withoutNamespace() };
      const written: string[] = [];
      const stdout = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
        written.push(String(chunk));
        return true;
      });
      let failure: unknown;
      try {
        const { handler } = await import('../../lambdas/dispatcher/handler');
        const event: SQSEvent = { Records: [] };
        await handler(event, { functionName: 'dispatcher', awsRequestId: 'r1' } as Context).catch((error) => {
          failure = error;
        });
      } finally {
        stdout.mockRestore();
      }
      expect({
        failure: String(failure),
        emf: written.filter((line) => line.includes('"_aws"')),
      }).toEqual({
        failure: 'EnvironmentError: environment variable POWERTOOLS_METRICS_NAMESPACE is not set',
        emf: [],
      });
    });
  });
});
