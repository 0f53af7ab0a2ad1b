import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  type EventSourceMappingConfiguration,
  LambdaClient,
  ListEventSourceMappingsCommand,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { buildProgram } from '../../cli/program';
import { type StackClients, stackTarget } from '../../cli/stack-target';
import { TargetError } from '../../cli/target';
import { LANES, type Lane } from '../../lambdas/shared/names';
import { resolveGateSettings } from '../../lib/settings';
import { STACK_OUTPUT, STACK_OUTPUT_NAMES } from '../../lib/stack-outputs';

const STACK = 'outreach-gate-prod';
const NOW = Date.UTC(2026, 10, 30, 12, 0, 0);
const ACCOUNT = 'arn:aws:sqs:eu-west-1:123456789012';
const config = resolveGateSettings({ outreachUsers: ['alice', 'bob'] }).gate;
const queueName = (lane: Lane) => `Gate-${lane}-lane.fifo`;

/** The outputs a deployed stack of this version has, by the shared output names. */
function deployedOutputs(): Record<string, string> {
  const outputs: Record<string, string> = {
    [STACK_OUTPUT.gateTableName]: 'Gate-Table',
    [STACK_OUTPUT.dispatcherFunctionName]: 'Gate-Dispatcher',
    [STACK_OUTPUT.gateConfig]: JSON.stringify(config),
  };
  for (const lane of LANES) {
    outputs[STACK_OUTPUT.laneUrl(lane)] = `https://sqs.eu-west-1.amazonaws.com/123456789012/${queueName(lane)}`;
    outputs[STACK_OUTPUT.laneArn(lane)] = `${ACCOUNT}:${queueName(lane)}`;
    outputs[STACK_OUTPUT.deadLetterQueueUrl(lane)] =
      `https://sqs.eu-west-1.amazonaws.com/123456789012/Gate-${lane}-dlq.fifo`;
  }
  return outputs;
}

/** The dispatcher's mappings: one per lane, plus one of another source the CLI must leave alone. */
function mappings(state: 'Enabled' | 'Disabled'): EventSourceMappingConfiguration[] {
  return [
    ...LANES.map((lane) => ({ UUID: `esm-${lane}`, EventSourceArn: `${ACCOUNT}:${queueName(lane)}`, State: state })),
    { UUID: 'esm-other', EventSourceArn: `${ACCOUNT}:someone-elses-queue.fifo`, State: state },
  ];
}

function clients(): StackClients {
  const aws = { region: 'eu-west-1', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' } };
  return {
    cloudformation: new CloudFormationClient(aws),
    lambda: new LambdaClient(aws),
    cloudwatch: new CloudWatchClient(aws),
    sqs: new SQSClient(aws),
    dynamodb: new DynamoDBClient(aws),
  };
}

let documentClientMock: { restore(): void } | undefined;
afterEach(() => {
  documentClientMock?.restore();
  documentClientMock = undefined;
});

function mocked(outputs: Record<string, string> = deployedOutputs()) {
  const aws = clients();
  const cloudformation = mockClient(aws.cloudformation);
  const lambda = mockClient(aws.lambda);
  const cloudwatch = mockClient(aws.cloudwatch);
  cloudformation.on(DescribeStacksCommand, { StackName: STACK }).resolves({
    Stacks: [
      {
        StackName: STACK,
        CreationTime: new Date(NOW),
        StackStatus: 'UPDATE_COMPLETE',
        Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
      },
    ],
  });
  lambda.on(ListEventSourceMappingsCommand, { FunctionName: 'Gate-Dispatcher' }).resolves({
    EventSourceMappings: mappings('Enabled'),
  });
  lambda.on(UpdateEventSourceMappingCommand).resolves({});
  // The gate table, where `pause` records the operator's pause and `resume` forgets it (the CLI reaches it
  // through a document client, so that class is mocked; restored after each test).
  const dynamodb = mockClient(DynamoDBDocumentClient);
  documentClientMock = dynamodb;
  dynamodb.on(PutCommand).resolves({});
  dynamodb.on(DeleteCommand).resolves({});
  const updates = () => lambda.commandCalls(UpdateEventSourceMappingCommand).map((call) => call.args[0].input);
  return { aws, cloudformation, lambda, cloudwatch, dynamodb, updates };
}

describe('outreach-gate --stack: the stack’s outputs', () => {
  it('GIVEN a deployed stack WHEN its target is built THEN the queues, table and configuration come from its outputs', async () => {
    const { aws } = mocked();
    const target = await stackTarget(STACK, aws);
    expect({
      description: target.description,
      table: target.tableName,
      bulk: target.lanes.bulk,
      users: target.config.users,
    }).toEqual({
      description: `stack ${STACK}`,
      table: 'Gate-Table',
      bulk: {
        queueUrl: `https://sqs.eu-west-1.amazonaws.com/123456789012/${queueName('bulk')}`,
        queueArn: `${ACCOUNT}:${queueName('bulk')}`,
        deadLetterQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/Gate-bulk-dlq.fifo',
      },
      users: ['alice', 'bob'],
    });
  });

  it.each(STACK_OUTPUT_NAMES)(
    'GIVEN a stack without the output %s WHEN its target is built THEN the error names the output and the stack',
    async (name) => {
      const outputs = deployedOutputs();
      delete outputs[name];
      const { aws } = mocked(outputs);
      const failure = stackTarget(STACK, aws);
      await expect(failure).rejects.toThrow(TargetError);
      await expect(failure).rejects.toThrow(`stack "${STACK}" has no output "${name}"`);
    },
  );

  it('GIVEN a configuration output that is not a gate configuration WHEN the target is built THEN the error names the output and what is wrong', async () => {
    const { aws } = mocked({ ...deployedOutputs(), [STACK_OUTPUT.gateConfig]: '{"users":[]}' });
    await expect(stackTarget(STACK, aws)).rejects.toThrow(
      new RegExp(`stack "${STACK}" output "GateConfig" is not a gate configuration: invalid gate configuration: `),
    );
  });

  it('GIVEN no such stack WHEN the target is built THEN the error names the stack and CloudFormation’s answer', async () => {
    const { aws, cloudformation } = mocked();
    cloudformation
      .on(DescribeStacksCommand)
      .rejects(Object.assign(new Error(`Stack with id ${STACK} does not exist`), { name: 'ValidationError' }));
    await expect(stackTarget(STACK, aws)).rejects.toThrow(
      `cannot describe stack "${STACK}": Stack with id ${STACK} does not exist`,
    );
  });
});

describe('outreach-gate --stack: pause and resume', () => {
  it('GIVEN every lane receiving WHEN every lane is paused THEN exactly the three lane mappings are disabled', async () => {
    const { aws, updates } = mocked();
    await (await stackTarget(STACK, aws)).lanesSwitch.pause(LANES);
    expect(updates()).toEqual([
      { UUID: 'esm-critical', Enabled: false },
      { UUID: 'esm-standard', Enabled: false },
      { UUID: 'esm-bulk', Enabled: false },
    ]);
  });

  it('GIVEN every lane receiving WHEN the bulk lane is paused THEN only its mapping is disabled', async () => {
    const { aws, updates } = mocked();
    await (await stackTarget(STACK, aws)).lanesSwitch.pause(['bulk']);
    expect(updates()).toEqual([{ UUID: 'esm-bulk', Enabled: false }]);
  });

  it('GIVEN paused lanes WHEN every lane is resumed THEN exactly the three lane mappings are enabled', async () => {
    const { aws, lambda, updates } = mocked();
    lambda.on(ListEventSourceMappingsCommand).resolves({ EventSourceMappings: mappings('Disabled') });
    await (await stackTarget(STACK, aws)).lanesSwitch.resume(LANES);
    expect(updates()).toEqual([
      { UUID: 'esm-critical', Enabled: true },
      { UUID: 'esm-standard', Enabled: true },
      { UUID: 'esm-bulk', Enabled: true },
    ]);
  });

  it('GIVEN the bulk mapping disabled and the others enabled WHEN the states are read THEN only bulk reads as paused', async () => {
    const { aws, lambda } = mocked();
    lambda.on(ListEventSourceMappingsCommand).resolves({
      EventSourceMappings: mappings('Enabled').map((m) => (m.UUID === 'esm-bulk' ? { ...m, State: 'Disabled' } : m)),
    });
    expect(await (await stackTarget(STACK, aws)).lanesSwitch.states()).toEqual({
      critical: 'receiving',
      standard: 'receiving',
      bulk: 'paused',
    });
  });

  it('GIVEN the function has no mapping for the bulk lane WHEN every lane is paused THEN the error names the lane and nothing is disabled', async () => {
    const { aws, lambda, updates } = mocked();
    lambda.on(ListEventSourceMappingsCommand).resolves({
      EventSourceMappings: mappings('Enabled').filter((m) => m.UUID !== 'esm-bulk'),
    });
    await expect((await stackTarget(STACK, aws)).lanesSwitch.pause(LANES)).rejects.toThrow(
      `function Gate-Dispatcher has no event source mapping for the bulk lane (${ACCOUNT}:${queueName('bulk')})`,
    );
    expect(updates()).toEqual([]);
  });

  it('GIVEN a deployed stack WHEN "outreach-gate --stack NAME pause --lane bulk" runs THEN bulk’s mapping is disabled and the lane reported', async () => {
    const { aws, lambda, dynamodb, updates } = mocked();
    lambda.on(UpdateEventSourceMappingCommand).callsFake(() => {
      lambda.on(ListEventSourceMappingsCommand).resolves({
        EventSourceMappings: mappings('Enabled').map((m) => (m.UUID === 'esm-bulk' ? { ...m, State: 'Disabling' } : m)),
      });
      return {};
    });
    const out: string[] = [];
    const loaded: unknown[] = [];
    const program = buildProgram({ out: (text) => out.push(text), err: (text) => out.push(text) }, (options) => {
      loaded.push(options);
      return stackTarget(options.stack ?? '', aws);
    });
    await program.parseAsync(['--stack', STACK, '--region', 'eu-west-1', 'pause', '--lane', 'bulk'], { from: 'user' });
    const recorded = dynamodb.commandCalls(PutCommand).map((call) => call.args[0].input.Item?.by);
    expect({ loaded, recorded, updates: updates(), out: out.join('') }).toEqual({
      loaded: [{ stack: STACK, region: 'eu-west-1' }],
      recorded: ['operator'],
      updates: [{ UUID: 'esm-bulk', Enabled: false }],
      out: 'bulk: paused\n',
    });
  });
});

describe('outreach-gate --stack: oldest age', () => {
  it('GIVEN CloudWatch has datapoints WHEN a lane’s oldest age is read THEN it is the newest one-minute Maximum of the lane queue’s ApproximateAgeOfOldestMessage over the last five minutes', async () => {
    const { aws, cloudwatch } = mocked();
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'oldest', Values: [420, 360, 300] }] });
    const target = await stackTarget(STACK, aws, () => NOW);
    const age = await target.oldestAge?.oldestAgeSeconds('bulk');
    const input = cloudwatch.commandCalls(GetMetricDataCommand)[0]?.args[0].input;
    expect({ age, input }).toEqual({
      age: 420,
      input: {
        StartTime: new Date(NOW - 5 * 60_000),
        EndTime: new Date(NOW),
        ScanBy: 'TimestampDescending',
        MetricDataQueries: [
          {
            Id: 'oldest',
            MetricStat: {
              Metric: {
                Namespace: 'AWS/SQS',
                MetricName: 'ApproximateAgeOfOldestMessage',
                Dimensions: [{ Name: 'QueueName', Value: queueName('bulk') }],
              },
              Period: 60,
              Stat: 'Maximum',
            },
          },
        ],
      },
    });
  });

  it('GIVEN CloudWatch has no datapoint WHEN a lane’s oldest age is read THEN it is unknown', async () => {
    const { aws, cloudwatch } = mocked();
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'oldest', Values: [] }] });
    expect(await (await stackTarget(STACK, aws)).oldestAge?.oldestAgeSeconds('critical')).toBeUndefined();
  });

  it('GIVEN an oldest age of zero seconds WHEN it is read THEN it is zero, not unknown', async () => {
    const { aws, cloudwatch } = mocked();
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'oldest', Values: [0] }] });
    expect(await (await stackTarget(STACK, aws)).oldestAge?.oldestAgeSeconds('critical')).toBe(0);
  });
});
