/**
 * Attacks on "embeddable in any stack": several gates in one stack, one app or one account must not share a
 * physical name (CloudFormation refuses the second) nor read each other's metrics (one gate's alarms would fire
 * for the other's users).
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { OutreachGate } from '../../lib/outreach-gate';
import { testApp } from '../infra/synth';

/** Every physical name of `type` set in `template` (resources whose name CloudFormation does not generate). */
function physicalNames(template: Template, type: string, property: string): unknown[] {
  return Object.values(template.findResources(type))
    .map((resource) => (resource.Properties as Record<string, unknown> | undefined)?.[property])
    .filter((name) => name !== undefined);
}

describe('two OutreachGates in one stack', () => {
  function twoGates(): Template {
    const stack = new Stack(testApp(), 'Sales');
    new OutreachGate(stack, 'GateA', { outreachUsers: ['alice'] });
    new OutreachGate(stack, 'GateB', { outreachUsers: ['alice'] });
    return Template.fromStack(stack);
  }

  test('GIVEN two gates with the same user in one stack WHEN synthesised THEN their refresh-token secrets have different names', () => {
    const names = physicalNames(twoGates(), 'AWS::SecretsManager::Secret', 'Name').map((n) => JSON.stringify(n));
    // THEN no two secrets share a name (Secrets Manager names are unique per account and region).
    expect(names.length).toBe(2);
    expect(new Set(names).size).toBe(names.length);
  });
});

describe('two gate stacks in one app (one account and region)', () => {
  function twoStacks(): [Template, Template] {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const staging = new Stack(app, 'SalesStaging');
    const production = new Stack(app, 'SalesProduction');
    new OutreachGate(staging, 'Gate', { outreachUsers: ['alice', 'bob'] });
    new OutreachGate(production, 'Gate', { outreachUsers: ['alice', 'bob'] });
    return [Template.fromStack(staging), Template.fromStack(production)];
  }

  test('GIVEN two stacks each with a gate WHEN synthesised THEN no secret name is shared', () => {
    const [staging, production] = twoStacks();
    const a = physicalNames(staging, 'AWS::SecretsManager::Secret', 'Name').map((n) => JSON.stringify(n));
    const b = physicalNames(production, 'AWS::SecretsManager::Secret', 'Name').map((n) => JSON.stringify(n));
    expect(a.length).toBe(2);
    expect(a.filter((name) => b.includes(name))).toEqual([]);
  });

  test('GIVEN two stacks each with a gate WHEN synthesised THEN nothing else is given a fixed physical name', () => {
    for (const template of twoStacks()) {
      for (const [type, property] of [
        ['AWS::SQS::Queue', 'QueueName'],
        ['AWS::Lambda::Function', 'FunctionName'],
        ['AWS::CloudWatch::Alarm', 'AlarmName'],
        ['AWS::CloudWatch::Dashboard', 'DashboardName'],
        ['AWS::Logs::LogGroup', 'LogGroupName'],
        ['AWS::DynamoDB::Table', 'TableName'],
        ['AWS::DynamoDB::GlobalTable', 'TableName'],
        ['AWS::SNS::Topic', 'TopicName'],
        ['AWS::Events::Rule', 'Name'],
        ['AWS::IAM::Role', 'RoleName'],
      ] as const) {
        expect({ type, names: physicalNames(template, type, property) }).toEqual({ type, names: [] });
      }
      expect(template.toJSON().Outputs ?? {}).toEqual({});
    }
  });
});

describe('user names', () => {
  test('GIVEN users that differ only by case WHEN synthesised THEN each gets its own secret', () => {
    const stack = new Stack(testApp(), 'Sales');
    new OutreachGate(stack, 'Gate', { outreachUsers: ['Alice', 'alice'] });
    const names = physicalNames(Template.fromStack(stack), 'AWS::SecretsManager::Secret', 'Name');
    expect(names).toEqual(['outreach-gate/Sales/Gate/Alice', 'outreach-gate/Sales/Gate/alice']);
  });

  test('GIVEN users whose names differ only in punctuation WHEN synthesised THEN each gets its own secret resource', () => {
    const stack = new Stack(testApp(), 'Sales');
    const users = ['a.b', 'a-b', 'a_b', 'ab', 'a@b'];
    new OutreachGate(stack, 'Gate', { outreachUsers: users });
    const names = physicalNames(Template.fromStack(stack), 'AWS::SecretsManager::Secret', 'Name');
    expect(names.sort()).toEqual(users.map((u) => `outreach-gate/Sales/Gate/${u}`).sort());
  });

  test('GIVEN an email address with a plus sign as the user WHEN the gate is created THEN it is refused, naming the user', () => {
    const stack = new Stack(testApp(), 'Sales');
    expect(() => new OutreachGate(stack, 'Gate', { outreachUsers: ['sales+ops@example.com'] })).toThrow(
      /sales\+ops@example\.com/,
    );
  });

  test('GIVEN a 65-character user WHEN the gate is created THEN it is refused, naming the user', () => {
    const user = `u${'x'.repeat(64)}`;
    const stack = new Stack(testApp(), 'Sales');
    expect(() => new OutreachGate(stack, 'Gate', { outreachUsers: [user] })).toThrow(new RegExp(user));
  });
});
