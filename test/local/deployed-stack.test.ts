import { LANES } from '../../lambdas/shared/names';
import { createLocalSqsClient } from '../../local/emulators/sqs';
import { deployedStack, type LocalResourceNames } from '../../local/iam/deployed-stack';
import { IamAccessDeniedError, IamPolicyCheck } from '../../local/iam/policy-check';
import { deployedMappingSettings } from '../../local/runner/deployed-settings';
import { EventSourceMappingRunner } from '../../local/runner/event-source-mapping';

/** Local names as the emulators give them (no emulator is started: synthesis and evaluation only). */
const names: LocalResourceNames = {
  account: '000000000000',
  region: 'us-east-1',
  tableName: 'outreach-gate-local',
  lanes: Object.fromEntries(
    LANES.map((lane) => [
      lane,
      {
        queueUrl: `http://127.0.0.1:9/000000000000/outreach-gate-${lane}.fifo`,
        queueArn: `arn:aws:sqs:us-east-1:000000000000:outreach-gate-${lane}.fifo`,
        deadLetterQueueUrl: `http://127.0.0.1:9/000000000000/outreach-gate-${lane}-dlq.fifo`,
      },
    ]),
  ) as LocalResourceNames['lanes'],
  appSecretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:outreach-gate-local/app',
};
const TABLE = 'arn:aws:dynamodb:us-east-1:000000000000:table/outreach-gate-local';

describe('the deployed stack as the local runner and the IAM check read it', () => {
  const deployed = deployedStack(
    {
      outreachUsers: ['u1'],
      dispatcherTimeoutSeconds: 20,
      lanes: {
        critical: { batchSize: 1, maxConcurrency: 3 },
        standard: { batchSize: 3, maxConcurrency: 5 },
        bulk: { batchSize: 7, maxConcurrency: 2 },
      },
    },
    names,
  );

  it('GIVEN lanes with their own batch size and concurrency WHEN the runner is built from the synthesized template THEN it polls each lane as its event source mapping is deployed', () => {
    const sqs = createLocalSqsClient('http://127.0.0.1:9');
    const runner = new EventSourceMappingRunner({
      sqs,
      settings: deployedMappingSettings(deployed.function),
      queues: names.lanes,
      handler: async () => undefined,
    });
    sqs.destroy();
    expect({
      critical: runner.mappings.critical,
      standard: runner.mappings.standard,
      bulk: runner.mappings.bulk,
      concurrencyLimit: runner.concurrencyLimit,
      timeoutSeconds: deployed.function.timeoutSeconds,
    }).toEqual({
      critical: { lane: 'critical', queueArn: names.lanes.critical.queueArn, batchSize: 1, maxConcurrency: 3 },
      standard: { lane: 'standard', queueArn: names.lanes.standard.queueArn, batchSize: 3, maxConcurrency: 5 },
      bulk: { lane: 'bulk', queueArn: names.lanes.bulk.queueArn, batchSize: 7, maxConcurrency: 2 },
      concurrencyLimit: 10,
      timeoutSeconds: 20,
    });
  });

  it('GIVEN a producer granted grantReadResults WHEN it reads an intent record THEN the check allows it', async () => {
    const check = new IamPolicyCheck(deployed);
    await expect(
      check.authorize('producer', [
        { action: 'dynamodb:GetItem', resource: TABLE, context: { 'dynamodb:LeadingKeys': ['intent#a'] } },
      ]),
    ).resolves.toBeUndefined();
  });

  it("GIVEN a producer granted grantReadResults WHEN it reads a user's token item THEN the check denies it, naming the producer, the action and the table", async () => {
    const check = new IamPolicyCheck(deployed);
    const read = check.authorize('producer', [
      { action: 'dynamodb:GetItem', resource: TABLE, context: { 'dynamodb:LeadingKeys': ['token#u1'] } },
    ]);
    await expect(read).rejects.toThrow(IamAccessDeniedError);
    await expect(read).rejects.toThrow(
      /^producer \(arn:aws:iam::000000000000:role\/.+\) is not authorized to perform dynamodb:GetItem on resource arn:aws:dynamodb:us-east-1:000000000000:table\/outreach-gate-local/,
    );
    expect(check.ledger().denied).toBe(1);
  });

  it('GIVEN the dispatcher WHEN it deletes an item of the gate table THEN the check denies it, as its role grants no dynamodb:DeleteItem', async () => {
    const check = new IamPolicyCheck(deployed);
    await expect(
      check.authorize('dispatcher', [
        { action: 'dynamodb:DeleteItem', resource: TABLE, context: { 'dynamodb:LeadingKeys': ['gate#u1'] } },
      ]),
    ).rejects.toThrow(
      /^dispatcher .* is not authorized to perform dynamodb:DeleteItem on resource arn:aws:dynamodb:us-east-1:000000000000:table\/outreach-gate-local/,
    );
  });

  it('GIVEN a lane queue whose policy enforces TLS WHEN a call is made without TLS THEN the queue policy denies it', async () => {
    const check = new IamPolicyCheck(deployed);
    await expect(
      check.authorize('producer', [
        { action: 'sqs:SendMessage', resource: names.lanes.bulk.queueArn, context: { 'aws:SecureTransport': 'false' } },
      ]),
    ).rejects.toThrow(/ExplicitlyDenied/);
  });
});
