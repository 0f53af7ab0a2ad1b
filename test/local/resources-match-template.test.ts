import { DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { App, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { LANES, type Lane } from '../../lambdas/shared/names';
import { OutreachGateStack } from '../../lib/outreach-gate-stack';
import { type GateSettingsInput, resolveGateSettings } from '../../lib/settings';
import { readLaneQueueAttributes } from '../../local/emulators/sqs';
import { type LocalEnvironment, startLocalEnvironment } from '../../local/environment';
import { EventSourceMappingRunner } from '../../local/runner/event-source-mapping';

/**
 * What runs locally is built from the same settings as what is deployed. Each test compares one resource
 * property of the synthesised stack with what the local environment created from the same input.
 */

/** Deliberately not the defaults, so that a value hard-coded on either side shows. */
const input: GateSettingsInput = {
  outreachUsers: ['alice', 'bob'],
  dispatcherTimeoutSeconds: 20,
  upstreamTimeoutMs: 5000,
  maxReceiveCount: 300,
  lanes: {
    critical: { batchSize: 2, maxConcurrency: 3 },
    standard: { batchSize: 7, maxConcurrency: 5 },
    bulk: { batchSize: 9, maxConcurrency: 6 },
  },
};

type Properties = Record<string, unknown>;

const stack = new OutreachGateStack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Gate', input);
const resources = Template.fromStack(stack).toJSON().Resources as Record<
  string,
  { Type: string; Properties: Properties }
>;
const idOf = (construct: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(construct.node.defaultChild as CfnElement);
const propertiesOf = (logicalId: string): Properties => {
  const resource = resources[logicalId];
  if (resource === undefined) throw new Error(`the template has no resource ${logicalId}`);
  return resource.Properties;
};
const ofType = (type: string) => Object.values(resources).filter((resource) => resource.Type === type);
const only = <T>(items: T[], what: string): T => {
  if (items.length !== 1) throw new Error(`expected one ${what}, found ${items.length}`);
  return items[0] as T;
};

const deployed = (lane: Lane) => {
  const queueId = idOf(stack.lanes.queues[lane]);
  const deadLetterQueueId = idOf(stack.lanes.deadLetterQueues[lane]);
  const mapping = only(
    ofType('AWS::Lambda::EventSourceMapping').filter(
      (esm) => JSON.stringify(esm.Properties.EventSourceArn) === JSON.stringify({ 'Fn::GetAtt': [queueId, 'Arn'] }),
    ),
    `event source mapping of the ${lane} lane`,
  );
  return {
    queue: propertiesOf(queueId),
    deadLetterQueue: propertiesOf(deadLetterQueueId),
    deadLetterQueueId,
    mapping: mapping.Properties,
  };
};

const FIFO_ATTRIBUTES = [
  'FifoQueue',
  'ContentBasedDeduplication',
  'DeduplicationScope',
  'FifoThroughputLimit',
] as const;
const pick = (from: Properties, names: readonly string[]) =>
  Object.fromEntries(names.map((name) => [name, from[name] === undefined ? undefined : String(from[name])]));

describe('local resources match the synthesised stack', () => {
  let env: LocalEnvironment;
  let local: Awaited<ReturnType<typeof readLaneQueueAttributes>>;
  let runner: EventSourceMappingRunner;

  beforeAll(async () => {
    env = await startLocalEnvironment({ ...input, stopOnSignals: false });
    local = await readLaneQueueAttributes(env.clients.sqs, env.lanes);
    runner = new EventSourceMappingRunner({
      sqs: env.clients.sqs,
      settings: env.settings,
      queues: env.lanes,
      handler: () => undefined,
    });
  }, 60_000);

  afterAll(async () => {
    await env?.stop();
  }, 30_000);

  it('GIVEN a non-default input THEN the stack and the local environment resolve the same lane settings', () => {
    expect(env.settings.lanes).toEqual(stack.settings.lanes);
    expect(env.settings.lanes).not.toEqual(resolveGateSettings().lanes);
  });

  it.each(LANES)('GIVEN the %s lane THEN its queue has the deployed FIFO settings', (lane) => {
    expect(pick(local[lane].queue, FIFO_ATTRIBUTES)).toEqual(pick(deployed(lane).queue, FIFO_ATTRIBUTES));
  });

  it.each(LANES)('GIVEN the %s lane THEN its dead-letter queue has the deployed FIFO settings', (lane) => {
    expect(pick(local[lane].deadLetterQueue, FIFO_ATTRIBUTES)).toEqual(
      pick(deployed(lane).deadLetterQueue, FIFO_ATTRIBUTES),
    );
  });

  it.each(LANES)('GIVEN the %s lane THEN its queue has the deployed visibility timeout', (lane) => {
    expect(local[lane].queue.VisibilityTimeout).toBe(String(deployed(lane).queue.VisibilityTimeout));
  });

  it.each(LANES)('GIVEN the %s lane THEN its queue and dead-letter queue keep messages as long as deployed', (lane) => {
    const { queue, deadLetterQueue } = deployed(lane);
    expect([local[lane].queue.MessageRetentionPeriod, local[lane].deadLetterQueue.MessageRetentionPeriod]).toEqual([
      String(queue.MessageRetentionPeriod),
      String(deadLetterQueue.MessageRetentionPeriod),
    ]);
  });

  it.each(LANES)('GIVEN the %s lane THEN its redrive policy has the deployed maxReceiveCount', (lane) => {
    const localPolicy = JSON.parse(local[lane].queue.RedrivePolicy ?? '{}');
    const deployedPolicy = deployed(lane).queue.RedrivePolicy as { maxReceiveCount: number };
    expect(localPolicy.maxReceiveCount).toBe(deployedPolicy.maxReceiveCount);
  });

  it.each(LANES)(
    "GIVEN the %s lane THEN it redrives to that lane's own dead-letter queue, locally and deployed",
    (lane) => {
      const { queue, deadLetterQueueId } = deployed(lane);
      const localPolicy = JSON.parse(local[lane].queue.RedrivePolicy ?? '{}');
      expect({
        local: localPolicy.deadLetterTargetArn,
        deployed: (queue.RedrivePolicy as { deadLetterTargetArn: unknown }).deadLetterTargetArn,
      }).toEqual({
        local: local[lane].deadLetterQueue.QueueArn,
        deployed: { 'Fn::GetAtt': [deadLetterQueueId, 'Arn'] },
      });
    },
  );

  it.each(LANES)(
    "GIVEN the %s lane THEN the runner uses the deployed mapping's batch size and maxConcurrency",
    (lane) => {
      const { mapping } = deployed(lane);
      const used = runner.mappings[lane];
      expect({ batchSize: used?.batchSize, maxConcurrency: used?.maxConcurrency }).toEqual({
        batchSize: mapping.BatchSize,
        maxConcurrency: (mapping.ScalingConfig as { MaximumConcurrency: number }).MaximumConcurrency,
      });
    },
  );

  it.each(LANES)(
    'GIVEN the %s lane THEN the deployed mapping reports batch item failures, which the runner honours',
    (lane) => {
      expect(deployed(lane).mapping.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    },
  );

  it('GIVEN the dispatcher THEN the runner caps concurrency at its deployed reserved concurrency', () => {
    const dispatcher = propertiesOf(idOf(stack.dispatcher.function));
    expect(runner.concurrencyLimit).toBe(dispatcher.ReservedConcurrentExecutions);
  });

  it('GIVEN the gate table THEN its key schema and attribute definitions match the deployed table', async () => {
    const { Table } = await env.clients.dynamodb.send(new DescribeTableCommand({ TableName: env.tableName }));
    const table = only(ofType('AWS::DynamoDB::GlobalTable'), 'gate table').Properties;
    expect({ KeySchema: Table?.KeySchema, AttributeDefinitions: Table?.AttributeDefinitions }).toEqual({
      KeySchema: table.KeySchema,
      AttributeDefinitions: table.AttributeDefinitions,
    });
  });

  it('GIVEN the gate table THEN TTL is enabled on the deployed attribute', async () => {
    const { TimeToLiveDescription } = await env.clients.dynamodb.send(
      new DescribeTimeToLiveCommand({ TableName: env.tableName }),
    );
    const table = only(ofType('AWS::DynamoDB::GlobalTable'), 'gate table').Properties;
    expect({
      AttributeName: TimeToLiveDescription?.AttributeName,
      Enabled: TimeToLiveDescription?.TimeToLiveStatus === 'ENABLED',
    }).toEqual(table.TimeToLiveSpecification);
  });
});
