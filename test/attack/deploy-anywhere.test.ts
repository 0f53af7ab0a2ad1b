/**
 * Attacks on "deployable in any account" and "embeddable in any stack": a new account's concurrency quota of 10,
 * a reservation that does not match the lanes, nested stacks, long stack and construct ids, and more users than
 * CloudWatch lets one dashboard graph.
 */
import { NestedStack, Stack, Stage } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { stackPropsFromContext } from '../../lib/context';
import { OutreachGate } from '../../lib/outreach-gate';
import { OutreachGateStack } from '../../lib/outreach-gate-stack';
import { testApp } from '../infra/synth';

/** `ReservedConcurrentExecutions` of every function in `template`, by logical id. */
function reservations(template: Template): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(template.findResources('AWS::Lambda::Function')).map(([id, fn]) => [
      id,
      (fn.Properties as Record<string, unknown>).ReservedConcurrentExecutions,
    ]),
  );
}

describe('a new account whose Lambda concurrency quota is 10', () => {
  test('GIVEN reservedConcurrency false on the construct WHEN synthesised THEN no function in the stack reserves concurrency', () => {
    const stack = new Stack(testApp(), 'Sales');
    new OutreachGate(stack, 'Gate', { reservedConcurrency: false });
    const reserved = reservations(Template.fromStack(stack));
    expect(Object.keys(reserved).length).toBeGreaterThanOrEqual(2);
    expect(Object.values(reserved).filter((r) => r !== undefined)).toEqual([]);
  });

  test('GIVEN -c outreach-gate:reservedConcurrency=false WHEN the stack is synthesised as the README deploys it THEN no function reserves concurrency', () => {
    const app = testApp({ 'outreach-gate:reservedConcurrency': 'false' });
    const stack = new OutreachGateStack(app, 'OutreachGate', stackPropsFromContext(app.node));
    const reserved = reservations(Template.fromStack(stack));
    expect(Object.values(reserved).filter((r) => r !== undefined)).toEqual([]);
  });

  test('GIVEN the defaults WHEN synthesised THEN the functions reserve 11 in all, as the README says (quota of at least 21)', () => {
    const stack = new Stack(testApp(), 'Sales');
    new OutreachGate(stack, 'Gate');
    const total = Object.values(reservations(Template.fromStack(stack))).reduce<number>(
      (sum, r) => sum + (typeof r === 'number' ? r : 0),
      0,
    );
    expect(total).toBe(11);
  });
});

describe('reservedConcurrency that does not match the lanes', () => {
  test.each([9, 11, 0])(
    'GIVEN reservedConcurrency %d with lanes summing to 10 WHEN the gate is created THEN it is refused, naming the value',
    (value) => {
      const stack = new Stack(testApp(), 'Sales');
      expect(() => new OutreachGate(stack, 'Gate', { reservedConcurrency: value })).toThrow(
        new RegExp(`reservedConcurrency.*\\b${value}\\b|\\b${value}\\b.*reservedConcurrency`),
      );
    },
  );

  test('GIVEN reservedConcurrency "false" as a string on the construct WHEN the gate is created THEN it is refused, naming the value', () => {
    const stack = new Stack(testApp(), 'Sales');
    expect(() => new OutreachGate(stack, 'Gate', { reservedConcurrency: 'false' as unknown as false })).toThrow(
      /reservedConcurrency.*"false"/,
    );
  });
});

describe('stacks a team may embed the gate in', () => {
  test('GIVEN a nested stack WHEN the gate is created in it with the default secret prefix THEN it synthesises', () => {
    const parent = new Stack(testApp(), 'Sales');
    const nested = new NestedStack(parent, 'OutreachNested');
    expect(() => new OutreachGate(nested, 'Gate')).not.toThrow();
  });

  test("GIVEN a stack inside a Stage WHEN synthesised THEN the secrets are named under the stage's stack name", () => {
    const stage = new Stage(testApp(), 'Prod');
    const stack = new Stack(stage, 'Sales');
    new OutreachGate(stack, 'Gate', { outreachUsers: ['alice'] });
    Template.fromStack(stack).hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'outreach-gate/Prod-Sales/Gate/alice',
    });
  });

  test('GIVEN a 128-character stack name and a 200-character construct id WHEN synthesised THEN no resource is given a physical name CloudFormation would refuse', () => {
    const stackName = `S${'a'.repeat(127)}`;
    const stack = new Stack(testApp(), stackName);
    new OutreachGate(stack, `Gate${'b'.repeat(196)}`, { outreachUsers: [`u${'c'.repeat(63)}`] });
    const template = Template.fromStack(stack).toJSON();
    const limits: Record<string, [string, number]> = {
      'AWS::SQS::Queue': ['QueueName', 80],
      'AWS::Lambda::Function': ['FunctionName', 64],
      'AWS::CloudWatch::Alarm': ['AlarmName', 255],
      'AWS::CloudWatch::Dashboard': ['DashboardName', 255],
      'AWS::SecretsManager::Secret': ['Name', 512],
      'AWS::IAM::Role': ['RoleName', 64],
      'AWS::Lambda::LayerVersion': ['LayerName', 140],
    };
    const tooLong: string[] = [];
    for (const [id, resource] of Object.entries(
      template.Resources as Record<string, { Type: string; Properties?: Record<string, unknown> }>,
    )) {
      const limit = limits[resource.Type];
      const name = limit === undefined ? undefined : resource.Properties?.[limit[0]];
      if (limit !== undefined && typeof name === 'string' && name.length > limit[1])
        tooLong.push(`${id}: ${name.length}`);
      if (id.length > 255) tooLong.push(`logical id ${id.length}`);
    }
    expect(tooLong).toEqual([]);
  });
});

describe('more users than the README promises', () => {
  const users = (n: number) => Array.from({ length: n }, (_, i) => `user-${i}`);

  test('GIVEN 251 users in OutreachGateStack WHEN synthesised THEN it either stops naming the limit or keeps each dashboard graph within 500 metrics', () => {
    const stack = new OutreachGateStack(testApp(), 'Gate', { outreachUsers: users(251) });
    let template: Template;
    try {
      template = Template.fromStack(stack);
    } catch (error) {
      // Refusing at synthesis, naming the limit, is the promised behaviour for a limit the stack would break.
      expect(String(error)).toMatch(/metrics|dashboard|users/i);
      return;
    }
    const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard);
    // Count each graph's metrics: every per-user series carries its user name as its label.
    const perWidget = Math.max(
      ...body.split('\\"type\\":\\"metric\\"').map((w) => (w.match(/\\"label\\":\\"user-\d+/g) ?? []).length),
    );
    expect(perWidget).toBeLessThanOrEqual(500);
  });
});
