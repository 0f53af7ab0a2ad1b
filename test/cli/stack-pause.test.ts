import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { LambdaClient, ListEventSourceMappingsCommand, UpdateEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import { SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { buildProgram } from '../../cli/program';
import { stackTarget } from '../../cli/stack-target';
import { DynamoDbPumpPauses } from '../../lambdas/adapters/dynamodb-pump-pauses';
import { LANES, type Lane } from '../../lambdas/shared/names';
import { resolveGateSettings } from '../../lib/settings';
import { STACK_OUTPUT } from '../../lib/stack-outputs';
import { useDynamoDbLocal } from '../support/dynamodb';

const STACK = 'outreach-gate-prod';
const ACCOUNT = 'arn:aws:sqs:eu-west-1:123456789012';
const queueName = (lane: Lane) => `Gate-${lane}-lane.fifo`;

describe('outreach-gate --stack pause / resume: the pause is recorded as the operator’s in the gate table', () => {
  const db = useDynamoDbLocal();
  const aws = { region: 'eu-west-1', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' } };

  /** A deployed stack whose CloudFormation and Lambda are mocked at the SDK boundary and whose table is DynamoDB Local. */
  async function deployed() {
    const tableName = await db.createGateTable();
    const outputs: Record<string, string> = {
      [STACK_OUTPUT.gateTableName]: tableName,
      [STACK_OUTPUT.dispatcherFunctionName]: 'Gate-Dispatcher',
      [STACK_OUTPUT.gateConfig]: JSON.stringify(resolveGateSettings({ outreachUsers: ['alice'] }).gate),
    };
    for (const lane of LANES) {
      outputs[STACK_OUTPUT.laneUrl(lane)] = `https://sqs.eu-west-1.amazonaws.com/123456789012/${queueName(lane)}`;
      outputs[STACK_OUTPUT.laneArn(lane)] = `${ACCOUNT}:${queueName(lane)}`;
      outputs[STACK_OUTPUT.deadLetterQueueUrl(lane)] = `https://sqs.eu-west-1.amazonaws.com/123456789012/${lane}-dlq`;
    }
    const clients = {
      cloudformation: new CloudFormationClient(aws),
      lambda: new LambdaClient(aws),
      cloudwatch: new CloudWatchClient(aws),
      sqs: new SQSClient(aws),
      dynamodb: db.client,
    };
    mockClient(clients.cloudformation)
      .on(DescribeStacksCommand)
      .resolves({
        Stacks: [
          {
            StackName: STACK,
            CreationTime: new Date(),
            StackStatus: 'UPDATE_COMPLETE',
            Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
          },
        ],
      });
    const lambda = mockClient(clients.lambda);
    lambda.on(ListEventSourceMappingsCommand).resolves({
      EventSourceMappings: LANES.map((lane) => ({
        UUID: `esm-${lane}`,
        EventSourceArn: `${ACCOUNT}:${queueName(lane)}`,
        State: 'Enabled',
      })),
    });
    lambda.on(UpdateEventSourceMappingCommand).resolves({});
    const run = async (args: string[]) => {
      const target = await stackTarget(STACK, clients);
      // The shared DynamoDB Local client outlives each command, so the target's close leaves it open.
      const program = buildProgram({ out: () => undefined, err: () => undefined }, () => ({ ...target, close() {} }));
      await program.exitOverride().parseAsync(['--stack', STACK, ...args], { from: 'user' });
    };
    const updates = () => lambda.commandCalls(UpdateEventSourceMappingCommand).map((call) => call.args[0].input);
    return { run, updates, pauses: new DynamoDbPumpPauses(db.documentClient, tableName) };
  }

  it('GIVEN a deployed stack WHEN on-call pauses bulk THEN its pump item says the operator paused it and its mapping is disabled', async () => {
    const { run, updates, pauses } = await deployed();
    await run(['pause', '--lane', 'bulk']);
    expect({ by: (await pauses.get('bulk'))?.by, updates: updates() }).toEqual({
      by: 'operator',
      updates: [{ UUID: 'esm-bulk', Enabled: false }],
    });
  });

  it('GIVEN a lane the monitor paused WHEN on-call resumes it THEN the mapping is enabled and the pause forgotten', async () => {
    const { run, updates, pauses } = await deployed();
    await pauses.record({ lane: 'bulk', untilMs: Date.now() + 600_000, pausedAt: Date.now() });
    await run(['resume', '--lane', 'bulk']);
    expect({ pause: await pauses.get('bulk'), updates: updates() }).toEqual({
      pause: undefined,
      updates: [{ UUID: 'esm-bulk', Enabled: true }],
    });
  });
});
