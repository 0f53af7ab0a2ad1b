/**
 * Attacks on "deployable in any account, up to at least 200 users": the gate embedded in a team's own stack (which
 * has no synthesis-time limit check) with 200 users of the longest names allowed, a stack name of CloudFormation's
 * maximum length and a long construct id, measured against each AWS limit by this test itself.
 */
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { OutreachGate } from '../../lib/outreach-gate';
import { type TemplateResource, templateResolver } from '../../lib/template-values';
import { testApp } from '../infra/synth';

/** CloudFormation's longest stack name (128 characters). */
const STACK_NAME = `SalesAutomation-${'x'.repeat(128 - 'SalesAutomation-'.length)}`;
/** 200 distinct realistic user names of the maximum 64 characters (email-like: letters, '.', '-', '@'). */
const USERS = Array.from({ length: 200 }, (_, i) => {
  const local = `firstname.lastname-${String(i).padStart(3, '0')}`;
  const domain = '@sales-operations.example-corporation.com';
  return `${local}${'q'.repeat(64 - local.length - domain.length)}${domain}`;
});

interface Synthesised {
  readonly template: Record<string, unknown>;
  readonly resources: Record<string, TemplateResource>;
  readonly resolve: (value: unknown) => unknown;
}

let cached: Synthesised | undefined;
function synthesise(): Synthesised {
  if (cached !== undefined) return cached;
  const stack = new Stack(testApp(), STACK_NAME);
  new OutreachGate(stack, 'OutreachGateForTheSalesAutomationPlatformOfTheCompany', { outreachUsers: USERS });
  const template = Template.fromStack(stack).toJSON();
  const resources = template.Resources as Record<string, TemplateResource>;
  const resolve = templateResolver(resources, {
    account: '123456789012',
    region: 'ap-southeast-2',
    stackName: STACK_NAME,
  });
  cached = { template, resources, resolve };
  return cached;
}

function ofType(type: string): [string, TemplateResource][] {
  return Object.entries(synthesise().resources).filter(([, r]) => r.Type === type);
}

test('GIVEN the user names WHEN generated THEN they are 200 distinct names of 64 characters', () => {
  expect(new Set(USERS).size).toBe(200);
  expect(USERS.every((u) => u.length === 64)).toBe(true);
  expect(STACK_NAME.length).toBe(128);
});

test('GIVEN 200 users WHEN synthesised THEN the stack has at most 500 resources', () => {
  expect(Object.keys(synthesise().resources).length).toBeLessThanOrEqual(500);
});

test('GIVEN 200 users WHEN synthesised THEN the template is at most 1 MB', () => {
  expect(Buffer.byteLength(JSON.stringify(synthesise().template, undefined, 1))).toBeLessThanOrEqual(1_000_000);
});

test("GIVEN 200 users WHEN synthesised THEN each role's inline policies together take at most 10,240 characters with real ARNs", () => {
  const { resolve } = synthesise();
  const byRole: Record<string, number> = {};
  for (const [id, role] of ofType('AWS::IAM::Role')) {
    byRole[id] = ((role.Properties?.Policies as { PolicyDocument: unknown }[]) ?? []).reduce(
      (sum, p) => sum + JSON.stringify(resolve(p.PolicyDocument)).length,
      0,
    );
  }
  for (const [, policy] of ofType('AWS::IAM::Policy')) {
    const chars = JSON.stringify(resolve(policy.Properties?.PolicyDocument)).length;
    for (const role of (policy.Properties?.Roles as { Ref: string }[]) ?? []) {
      byRole[role.Ref] = (byRole[role.Ref] ?? 0) + chars;
    }
  }
  const over = Object.entries(byRole).filter(([, chars]) => chars > 10_240);
  expect(over).toEqual([]);
});

test("GIVEN 200 users WHEN synthesised THEN each function's environment takes at most 4 KB with real ARNs", () => {
  const { resolve } = synthesise();
  for (const [id, fn] of ofType('AWS::Lambda::Function')) {
    const variables = (resolve((fn.Properties?.Environment as { Variables?: unknown })?.Variables ?? {}) ??
      {}) as Record<string, unknown>;
    const bytes = Object.entries(variables).reduce(
      (sum, [k, v]) => sum + Buffer.byteLength(k) + Buffer.byteLength(String(v)),
      0,
    );
    expect({ id, bytes: Math.min(bytes, 4096) }).toEqual({ id, bytes });
  }
});

test('GIVEN 200 users and a 128-character stack name WHEN synthesised THEN every secret name is at most 512 characters and unique', () => {
  const names = ofType('AWS::SecretsManager::Secret')
    .map(([, s]) => s.Properties?.Name)
    .filter((n): n is string => typeof n === 'string');
  expect(names.length).toBe(200);
  expect(new Set(names).size).toBe(200);
  expect(Math.max(...names.map((n) => n.length))).toBeLessThanOrEqual(512);
});

test('GIVEN 200 users and secrets created without a value WHEN synthesised THEN no secret has a value or a generated one', () => {
  for (const [id, secret] of ofType('AWS::SecretsManager::Secret')) {
    expect({
      id,
      SecretString: secret.Properties?.SecretString,
      Generate: secret.Properties?.GenerateSecretString,
    }).toEqual({ id, SecretString: undefined, Generate: undefined });
  }
});

/** The dashboard's body as CloudWatch receives it. */
function dashboardBody(): { widgets: { type: string; properties: { metrics?: unknown[] } }[] } {
  const [[, dashboard]] = ofType('AWS::CloudWatch::Dashboard') as [[string, TemplateResource]];
  return JSON.parse(String(synthesise().resolve(dashboard.Properties?.DashboardBody)));
}

test('GIVEN 200 users WHEN synthesised THEN no dashboard widget has more than 500 metrics (CloudWatch quota)', () => {
  const counts = dashboardBody().widgets.map((w) => w.properties.metrics?.length ?? 0);
  expect(Math.max(...counts)).toBeLessThanOrEqual(500);
});

test('GIVEN 200 users WHEN synthesised THEN the dashboard has at most 2,500 metrics and 500 widgets (CloudWatch quotas)', () => {
  const widgets = dashboardBody().widgets;
  const metrics = widgets.reduce((sum, w) => sum + (w.properties.metrics?.length ?? 0), 0);
  expect(widgets.length).toBeLessThanOrEqual(500);
  expect(metrics).toBeLessThanOrEqual(2500);
});

test('GIVEN 200 users WHEN synthesised THEN no alarm reads more than 10 metrics and the Metrics Insights alarms do not grow with users', () => {
  const alarms = ofType('AWS::CloudWatch::Alarm');
  for (const [id, alarm] of alarms) {
    const metrics = (alarm.Properties?.Metrics as unknown[] | undefined) ?? [];
    expect({ id, metrics: Math.min(metrics.length, 10) }).toEqual({ id, metrics: metrics.length });
  }
  const insights = alarms.filter(([, a]) => JSON.stringify(a.Properties?.Metrics ?? []).includes('SELECT '));
  expect(insights.length).toBe(2);
});
