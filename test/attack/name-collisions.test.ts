/**
 * Attacks on "embeddable in any stack": several gates in one stack, one app or one account must not share a
 * physical name (CloudFormation refuses the second) nor read each other's metrics (one gate's alarms would fire
 * for the other's users): each gate publishes to and reads its own CloudWatch namespace.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { OutreachGate } from '../../lib/outreach-gate';
import {
  customNamespaces,
  expressionNamespaces,
  namespaceReferences,
  publishedNamespaces,
} from '../infra/metric-namespaces';
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
  const template = twoGates();

  /** What each alarm of the gate whose resources' logical ids start with `gate` watches: its metric or its query. */
  function watchedBy(gate: string): string[] {
    return Object.entries(template.findResources('AWS::CloudWatch::Alarm'))
      .filter(([id]) => id.startsWith(gate))
      .map(([, alarm]) => {
        const { Namespace, MetricName, Dimensions, Statistic, Metrics } = alarm.Properties;
        const queries = (Metrics as Array<{ Expression?: string }> | undefined)?.map((m) => m.Expression);
        return JSON.stringify({ Namespace, MetricName, Dimensions, Statistic, queries });
      });
  }

  test('GIVEN two gates with the same user in one stack WHEN synthesised THEN their refresh-token secrets have different names', () => {
    const names = physicalNames(template, 'AWS::SecretsManager::Secret', 'Name').map((n) => JSON.stringify(n));
    // THEN no two secrets share a name (Secrets Manager names are unique per account and region).
    expect(names.length).toBe(2);
    expect(new Set(names).size).toBe(names.length);
  });

  test("GIVEN two gates with the same user in one stack WHEN synthesised THEN each gate's alarms read only its own namespace, and no alarm of one watches what an alarm of the other watches", () => {
    const references = namespaceReferences(template).filter((r) => r.kind.startsWith('alarm'));
    const of = (gate: string) => customNamespaces(references.filter((r) => r.resource.startsWith(gate)));
    const [a, b] = [watchedBy('GateA'), watchedBy('GateB')];
    expect({
      a: of('GateA'),
      b: of('GateB'),
      alarms: [a.length, b.length],
      shared: a.filter((watched) => b.includes(watched)),
    }).toEqual({
      a: ['OutreachGate/Sales/GateA'],
      b: ['OutreachGate/Sales/GateB'],
      alarms: [12, 12],
      shared: [],
    });
  });

  test('GIVEN two gates in one stack WHEN synthesised THEN each publishes to the namespace its own alarms read', () => {
    const functions = Object.entries(template.findResources('AWS::Lambda::Function'));
    const published = (gate: string) =>
      functions
        .filter(([id]) => id.startsWith(gate))
        .map(([, fn]) => fn.Properties.Environment?.Variables?.POWERTOOLS_METRICS_NAMESPACE)
        .filter((namespace) => namespace !== undefined);
    expect([published('GateA'), published('GateB')]).toEqual([
      ['OutreachGate/Sales/GateA', 'OutreachGate/Sales/GateA'],
      ['OutreachGate/Sales/GateB', 'OutreachGate/Sales/GateB'],
    ]);
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
  const [stagingTemplate, productionTemplate] = twoStacks();

  /** The namespaces the alarm whose logical id holds `alarmId` reads, in each stack. */
  function alarmNamespaces(alarmId: string): { staging: string[]; production: string[] } {
    const namespacesOf = (template: Template) => {
      const alarms = Object.entries(template.findResources('AWS::CloudWatch::Alarm')).filter(([id]) =>
        id.includes(alarmId),
      );
      return alarms.flatMap(([, alarm]) => {
        const { Namespace, Metrics } = alarm.Properties as { Namespace?: string; Metrics?: { Expression: string }[] };
        return [
          ...(Namespace === undefined ? [] : [Namespace]),
          ...(Metrics ?? []).flatMap((m) => expressionNamespaces(m.Expression)),
        ];
      });
    };
    return { staging: namespacesOf(stagingTemplate), production: namespacesOf(productionTemplate) };
  }

  test("GIVEN a staging and a production stack WHEN synthesised THEN each stack's cool-down alarm queries only its own gate's gauges", () => {
    expect(alarmNamespaces('CooldownAlarm')).toEqual({
      staging: ['OutreachGate/SalesStaging/Gate'],
      production: ['OutreachGate/SalesProduction/Gate'],
    });
  });

  test("GIVEN a staging and a production stack WHEN synthesised THEN each stack's credential alarm queries only its own gate's credential metric", () => {
    expect(alarmNamespaces('CredentialsAlarm')).toEqual({
      staging: ['OutreachGate/SalesStaging/Gate'],
      production: ['OutreachGate/SalesProduction/Gate'],
    });
  });

  test("GIVEN a staging and a production stack WHEN synthesised THEN each stack's 429 alarm counts only its own gate's 429s", () => {
    expect(alarmNamespaces('Upstream429Alarm')).toEqual({
      staging: ['OutreachGate/SalesStaging/Gate'],
      production: ['OutreachGate/SalesProduction/Gate'],
    });
  });

  test("GIVEN a synthesised gate WHEN every metric its alarms, dashboard graphs, SEARCH and Metrics Insights expressions read is listed THEN each custom one is in the gate's namespace, which its dispatcher and monitor publish to", () => {
    const references = namespaceReferences(stagingTemplate);
    expect({
      custom: customNamespaces(references),
      kinds: [...new Set(references.filter((r) => !r.namespace.startsWith('AWS/')).map((r) => r.kind))].sort(),
      aws: [...new Set(references.map((r) => r.namespace).filter((n) => n.startsWith('AWS/')))].sort(),
      published: publishedNamespaces(stagingTemplate),
    }).toEqual({
      custom: ['OutreachGate/SalesStaging/Gate'],
      kinds: ['alarm metric', 'alarm query', 'dashboard metric', 'dashboard search'],
      aws: ['AWS/Lambda', 'AWS/SQS'],
      published: {
        'outreach-gate-dispatcher': 'OutreachGate/SalesStaging/Gate',
        'outreach-gate-monitor': 'OutreachGate/SalesStaging/Gate',
      },
    });
  });

  test('GIVEN two stacks each with a gate WHEN synthesised THEN no secret name is shared', () => {
    const [staging, production] = [stagingTemplate, productionTemplate];
    const a = physicalNames(staging, 'AWS::SecretsManager::Secret', 'Name').map((n) => JSON.stringify(n));
    const b = physicalNames(production, 'AWS::SecretsManager::Secret', 'Name').map((n) => JSON.stringify(n));
    expect(a.length).toBe(2);
    expect(a.filter((name) => b.includes(name))).toEqual([]);
  });

  test('GIVEN two stacks each with a gate WHEN synthesised THEN nothing else is given a fixed physical name', () => {
    for (const template of [stagingTemplate, productionTemplate]) {
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
