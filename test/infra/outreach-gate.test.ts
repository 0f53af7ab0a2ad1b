import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ITEM_PREFIX } from '../../lambdas/shared/names';
import { OutreachGate, type OutreachGateProps } from '../../lib/outreach-gate';
import { OutreachGateStack } from '../../lib/outreach-gate-stack';
import { GateSettingsError } from '../../lib/settings';
import { testApp } from './synth';

/** A service's own stack with the gate embedded in it. */
function embed(props: OutreachGateProps = {}): { stack: Stack; gate: OutreachGate } {
  const stack = new Stack(testApp(), 'ServiceStack');
  return { stack, gate: new OutreachGate(stack, 'Gate', props) };
}

/** Reserved concurrency of each function, by whether its logical id names the dispatcher or the monitor. */
function reservations(stack: Stack): Record<string, unknown> {
  const functions = Template.fromStack(stack).findResources('AWS::Lambda::Function');
  return Object.fromEntries(
    Object.entries(functions).map(([id, fn]) => [
      id.includes('Dispatcher') ? 'dispatcher' : 'monitor',
      fn.Properties.ReservedConcurrentExecutions,
    ]),
  );
}

describe('OutreachGate embedded in an existing stack', () => {
  const { stack, gate } = embed({ outreachUsers: ['alice', 'bob'] });
  const template = Template.fromStack(stack);

  it('GIVEN the gate in a service stack THEN the stack holds its six queues, table, two functions and alarm topic', () => {
    expect({
      queues: Object.keys(template.findResources('AWS::SQS::Queue')).length,
      tables: Object.keys(template.findResources('AWS::DynamoDB::GlobalTable')).length,
      functions: Object.keys(template.findResources('AWS::Lambda::Function')).length,
      topics: Object.keys(template.findResources('AWS::SNS::Topic')).length,
    }).toEqual({ queues: 6, tables: 1, functions: 2, topics: 1 });
  });

  it('GIVEN the gate THEN its lanes, dead-letter queues, table, function and alarm topic are the resources it created', () => {
    const ref = (resource: { node: { defaultChild?: unknown } }) =>
      stack.getLogicalId(resource.node.defaultChild as CfnElement);
    expect({
      critical: stack.resolve(gate.laneQueues.critical.queueArn),
      bulkDeadLetter: stack.resolve(gate.deadLetterQueues.bulk.queueArn),
      table: stack.resolve(gate.table.tableName),
      dispatcher: stack.resolve(gate.dispatcherFunction.functionName),
      alarmTopic: stack.resolve(gate.alarmTopic.topicArn),
    }).toEqual({
      critical: { 'Fn::GetAtt': [ref(gate.lanes.queues.critical), 'Arn'] },
      bulkDeadLetter: { 'Fn::GetAtt': [ref(gate.lanes.deadLetterQueues.bulk), 'Arn'] },
      table: { Ref: ref(gate.gateTable.table) },
      dispatcher: { Ref: ref(gate.dispatcher.function) },
      alarmTopic: { Ref: ref(gate.observability.alarmTopic) },
    });
  });
});

describe('OutreachGate props', () => {
  it('GIVEN a bad setting WHEN the gate is built THEN it throws naming the setting and the value', () => {
    expect(() => embed({ budgetPerWindow: -3 })).toThrow(
      new GateSettingsError('budgetPerWindow must be an integer ≥ 1, got -3'),
    );
  });

  it("GIVEN no reservedConcurrency THEN the dispatcher reserves the sum of the lanes' maxConcurrency and the monitor one", () => {
    expect(reservations(embed().stack)).toEqual({ dispatcher: 10, monitor: 1 });
  });

  it('GIVEN reservedConcurrency false (an account whose concurrency quota is 10) THEN no function reserves concurrency', () => {
    expect(reservations(embed({ reservedConcurrency: false }).stack)).toEqual({
      dispatcher: undefined,
      monitor: undefined,
    });
  });

  it("GIVEN a reservedConcurrency other than the lanes' sum THEN it throws naming the value and the sum", () => {
    expect(() => embed({ reservedConcurrency: 7 })).toThrow(/reservedConcurrency \(7\) must equal the sum .* = 10\)/);
  });

  it('GIVEN a reservedConcurrency neither a number nor false (from JavaScript) THEN it throws naming the value', () => {
    const props = { reservedConcurrency: 'none' } as unknown as OutreachGateProps;
    expect(() => embed(props)).toThrow(
      new GateSettingsError('reservedConcurrency must be a number or false, got "none"'),
    );
  });
});

describe('OutreachGate grants', () => {
  const { stack, gate } = embed();
  const worker = new iam.Role(stack, 'Worker', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  const enqueue = gate.grantEnqueue(worker);
  const read = gate.grantReadResults(worker);
  const statements = () =>
    Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'))
      .filter((policy) => JSON.stringify(policy.Properties.Roles).includes('Worker'))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>);

  it('GIVEN grantEnqueue and grantReadResults on a role THEN both grants succeed on the role itself', () => {
    expect([enqueue.success, read.success, enqueue.principalStatements.length > 0]).toEqual([true, true, true]);
  });

  it('GIVEN grantEnqueue THEN the role may send messages to the three lanes and do nothing else with them', () => {
    const sqs = statements().filter((s) => String(s.Action).startsWith('sqs:'));
    expect({
      actions: [...new Set(sqs.map((s) => s.Action))],
      queues: sqs.flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource])).length,
    }).toEqual({ actions: ['sqs:SendMessage'], queues: 3 });
  });

  it('GIVEN grantReadResults THEN the role may only get items whose key starts with the intent prefix', () => {
    const dynamodb = statements().filter((s) => String(s.Action).startsWith('dynamodb:'));
    expect(dynamodb.map((s) => ({ action: s.Action, condition: s.Condition }))).toEqual([
      {
        action: 'dynamodb:GetItem',
        condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${ITEM_PREFIX.intent}*`] } },
      },
    ]);
  });
});

describe('OutreachGateStack', () => {
  it('GIVEN the stack THEN its resources keep the logical ids they had before the gate became a construct (no replacement on upgrade)', () => {
    const stack = new OutreachGateStack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'OutreachGate', {
      outreachUsers: ['alice'],
    });
    const ids = Object.keys(Template.fromStack(stack).toJSON().Resources);
    expect(ids).toEqual(
      expect.arrayContaining([
        'GateTable4EE1BBE6',
        'CredentialsOutreachAppD5927473',
        // Named by the user since secrets moved out of the list's order (that upgrade replaces them once).
        'CredentialsRefreshTokenalice518FBB09',
        'LanesCriticalQueue48FA6D43',
        'LanesBulkDeadLetterQueue43B77F65',
        'DispatcherFunction30F49669',
        'MonitorFunction39E4128B',
        'ObservabilityAlarmTopicF724909D',
      ]),
    );
  });
});
