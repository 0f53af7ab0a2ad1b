import { Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { completionEventPattern } from '../../lib/constructs/completion-events';
import { Dispatcher } from '../../lib/constructs/dispatcher';
import { OutreachGateStack } from '../../lib/outreach-gate-stack';
import { synthGate, testApp } from './synth';

/** Every statement of the dispatcher role's policies that allows `action`. */
function statementsAllowing(template: Template, action: string): Array<{ Resource: unknown }> {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Array<{ Action: unknown; Resource: unknown }>)
    .filter((statement) => ([] as unknown[]).concat(statement.Action).includes(action));
}

const envOf = (template: Template) =>
  Object.values(template.findResources('AWS::Lambda::Function')).find(
    (fn) => fn.Properties.Environment?.Variables?.GATE_CONFIG !== undefined,
  )?.Properties.Environment.Variables as Record<string, unknown>;

describe('completion events', () => {
  it('GIVEN the default settings THEN the dispatcher may put no events and is given no bus', () => {
    const { template } = synthGate();
    expect({
      putEvents: statementsAllowing(template, 'events:PutEvents'),
      bus: envOf(template).GATE_COMPLETION_EVENT_BUS,
    }).toEqual({ putEvents: [], bus: undefined });
  });

  it('GIVEN completionEvents on THEN the dispatcher may put events on the default bus only, and is given its ARN', () => {
    const { template } = synthGate({ completionEvents: true });
    const defaultBus = {
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':events:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          ':event-bus/default',
        ],
      ],
    };
    expect({
      resources: statementsAllowing(template, 'events:PutEvents').map((s) => s.Resource),
      bus: envOf(template).GATE_COMPLETION_EVENT_BUS,
    }).toEqual({ resources: [defaultBus], bus: defaultBus });
  });

  it('GIVEN a bus of its own THEN the dispatcher may put events on that bus only', () => {
    const stack = new OutreachGateStack(testApp(), 'Gate');
    const bus = new events.EventBus(stack, 'Settled');
    const dispatcher = new Dispatcher(stack, 'BusDispatcher', {
      settings: stack.settings,
      lanes: stack.lanes,
      table: stack.gateTable,
      credentials: stack.credentials,
      completionEventBus: bus,
    });
    const template = Template.fromStack(stack);
    const busArn = { 'Fn::GetAtt': [stack.getLogicalId(bus.node.defaultChild as events.CfnEventBus), 'Arn'] };
    expect({
      resources: statementsAllowing(template, 'events:PutEvents').map((s) => s.Resource),
      exposed: dispatcher.completionEventBus === bus,
    }).toEqual({ resources: [busArn], exposed: true });
  });

  it('GIVEN a rule made with completionEventPattern THEN it matches the source and both detail-types', () => {
    const stack = new OutreachGateStack(testApp(), 'Gate', { completionEvents: true });
    new events.Rule(stack, 'Settled', {
      eventPattern: completionEventPattern(),
      targets: [new targets.SqsQueue(new sqs.Queue(stack, 'Inbox'))],
    });
    const rules = Template.fromStack(stack).findResources('AWS::Events::Rule');
    const rule = rules[stack.getLogicalId(stack.node.findChild('Settled').node.defaultChild as events.CfnRule)];
    expect(rule?.Properties.EventPattern).toEqual({
      source: ['outreach-gate'],
      'detail-type': ['Intent Succeeded', 'Intent Dead-lettered'],
    });
  });
});
