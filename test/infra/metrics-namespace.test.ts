/**
 * The gate's CloudWatch namespace: its default (the stack's name and the gate's path below it), the
 * `metricsNamespace` prop and context key, CloudWatch's rules checked at construction, and names known only at
 * deployment (a nested stack's, `Aws.STACK_NAME`).
 */
import { Aws, NestedStack, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Construct } from 'constructs';
import { stackPropsFromContext } from '../../lib/context';
import { defaultMetricsNamespace } from '../../lib/metrics-namespace';
import { OutreachGate } from '../../lib/outreach-gate';
import { OutreachGateStack } from '../../lib/outreach-gate-stack';
import { GateSettingsError } from '../../lib/settings';
import { customNamespaces, namespaceReferences, publishedNamespaces } from './metric-namespaces';
import { testApp } from './synth';

/** A gate built with `metricsNamespace` in a stack named `Sales` (construction only, no synthesis). */
const gateWith = (metricsNamespace: unknown) => () =>
  new OutreachGate(new Stack(testApp(), 'Sales'), 'Gate', { metricsNamespace: metricsNamespace as string });

describe('the default metrics namespace', () => {
  test("GIVEN OutreachGateStack's own gate WHEN built THEN its namespace is OutreachGate/<stack name>", () => {
    expect(new OutreachGateStack(testApp(), 'SalesProduction').gate.metricsNamespace).toBe(
      'OutreachGate/SalesProduction',
    );
  });

  test('GIVEN a gate nested in a construct of a stack WHEN built THEN its namespace adds its path below the stack', () => {
    const stack = new Stack(testApp(), 'Sales');
    const gate = new OutreachGate(new Construct(stack, 'Outreach'), 'EuGate');
    expect(gate.metricsNamespace).toBe('OutreachGate/Sales/Outreach/EuGate');
  });

  test('GIVEN a construct id with characters CloudWatch refuses WHEN built THEN they become "-" in the namespace', () => {
    const gate = new OutreachGate(new Stack(testApp(), 'Sales'), 'Gate(EU)+1');
    expect(gate.metricsNamespace).toBe('OutreachGate/Sales/Gate-EU--1');
  });

  test('GIVEN a 128-character stack name and a 200-character gate id WHEN built THEN the namespace is cut to 255 characters and ends with a hash of the whole', () => {
    const stackName = `S${'a'.repeat(127)}`;
    const gate = new OutreachGate(new Stack(testApp(), stackName), `Gate${'b'.repeat(196)}`);
    expect({
      length: gate.metricsNamespace.length,
      start: gate.metricsNamespace.startsWith(`OutreachGate/${stackName}/Gate`),
      end: /-[0-9a-f]{8}$/.test(gate.metricsNamespace),
    }).toEqual({ length: 255, start: true, end: true });
  });

  test('GIVEN two long gate paths that differ only beyond 255 characters WHEN their namespaces are derived THEN they differ', () => {
    const stackName = `S${'a'.repeat(127)}`;
    const [a, b] = ['A', 'B'].map((last) => defaultMetricsNamespace(stackName, [`Gate${'b'.repeat(196)}${last}`]));
    expect({ lengths: [a?.length, b?.length], same: a === b }).toEqual({ lengths: [255, 255], same: false });
  });
});

describe('a metricsNamespace CloudWatch refuses', () => {
  test.each([
    ['is empty', '', /metrics namespace "" must be 1 to 255 characters long \(it has 0\)/],
    [
      'is 256 characters long',
      'x'.repeat(256),
      new RegExp(`metrics namespace "${'x'.repeat(256)}" must be 1 to 255 characters long \\(it has 256\\)`),
    ],
    ['holds a character CloudWatch refuses', 'Sales@Outreach', /metrics namespace "Sales@Outreach" may hold only/],
    ['holds only spaces', '   ', /metrics namespace " {3}" must hold at least one character other than a space/],
    ['starts with AWS/', 'AWS/Outreach', /metrics namespace "AWS\/Outreach" must not start with 'AWS\/'/],
    ['starts with a colon', ':Outreach', /metrics namespace ":Outreach" must not start with ':'/],
  ])(
    'GIVEN a namespace that %s WHEN the gate is created THEN it is refused, naming the value',
    (_rule, value, message) => {
      expect(gateWith(value)).toThrow(GateSettingsError);
      expect(gateWith(value)).toThrow(message);
    },
  );

  test('GIVEN a namespace that is not a string WHEN the gate is created THEN it is refused, naming the value', () => {
    expect(gateWith(42)).toThrow('metricsNamespace must be a string, got 42');
  });
});

describe('a metricsNamespace given', () => {
  const namespace = 'Sales/Outreach Gate #1: prod.eu-west_1';
  const stack = new Stack(testApp(), 'Sales');
  new OutreachGate(stack, 'Gate', { metricsNamespace: namespace });
  const template = Template.fromStack(stack);

  test('GIVEN a namespace with every character CloudWatch allows WHEN synthesised THEN the functions publish to it and every alarm and graph reads it alone', () => {
    expect({
      read: customNamespaces(namespaceReferences(template)),
      published: Object.values(publishedNamespaces(template)),
    }).toEqual({ read: [namespace], published: [namespace, namespace] });
  });

  test('GIVEN a namespace with "/" and spaces WHEN synthesised THEN SEARCH and Metrics Insights name it in double quotes', () => {
    const body = JSON.stringify(template.findResources('AWS::CloudWatch::Dashboard'));
    const alarms = JSON.stringify(template.findResources('AWS::CloudWatch::Alarm'));
    expect({
      search: body.includes(`SEARCH('{\\\\\\"${namespace}\\\\\\",service,Reason}`),
      insights: alarms.includes(`FROM \\"${namespace}\\"`),
    }).toEqual({ search: true, insights: true });
  });

  test('GIVEN -c outreach-gate:metricsNamespace WHEN the stack is synthesised as the README deploys it THEN the gate and the MetricsNamespace output carry it', () => {
    const app = testApp({ 'outreach-gate:metricsNamespace': 'Sales/Outreach' });
    const gateStack = new OutreachGateStack(app, 'OutreachGate', stackPropsFromContext(app.node));
    expect({
      gate: gateStack.gate.metricsNamespace,
      output: Template.fromStack(gateStack).toJSON().Outputs.MetricsNamespace.Value,
    }).toEqual({ gate: 'Sales/Outreach', output: 'Sales/Outreach' });
  });

  test('GIVEN -c outreach-gate:metricsNamespace=AWS/Lambda WHEN the stack is built THEN it is refused, naming the value', () => {
    const app = testApp({ 'outreach-gate:metricsNamespace': 'AWS/Lambda' });
    expect(() => new OutreachGateStack(app, 'OutreachGate', stackPropsFromContext(app.node))).toThrow(
      /metricsNamespace: metrics namespace "AWS\/Lambda" must not start with 'AWS\/'/,
    );
  });
});

describe('a namespace known only at deployment', () => {
  test("GIVEN a gate in a nested stack WHEN synthesised THEN its namespace is built from the nested stack's name at deployment, for the functions and the alarms alike", () => {
    const parent = new Stack(testApp(), 'Sales');
    const nested = new NestedStack(parent, 'Outreach');
    new OutreachGate(nested, 'Gate');
    const template = Template.fromStack(nested);
    const stackName = { 'Fn::Join': ['', ['OutreachGate/', { Ref: 'AWS::StackName' }, '/Gate']] };
    const upstream429 = Object.values(template.findResources('AWS::CloudWatch::Alarm')).find(
      (alarm) => alarm.Properties.MetricName === 'Upstream429',
    );
    expect({
      published: Object.values(template.findResources('AWS::Lambda::Function')).map(
        (fn) => fn.Properties.Environment.Variables.POWERTOOLS_METRICS_NAMESPACE,
      ),
      alarm: upstream429?.Properties.Namespace,
    }).toEqual({ published: [stackName, stackName], alarm: stackName });
  });

  test('GIVEN a metricsNamespace built from Aws.STACK_NAME WHEN synthesised THEN it is not checked at synthesis and the functions get it resolved at deployment', () => {
    const stack = new Stack(testApp(), 'Sales');
    new OutreachGate(stack, 'Gate', { metricsNamespace: `Outreach/${Aws.STACK_NAME}` });
    const published = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function')).map(
      (fn) => fn.Properties.Environment.Variables.POWERTOOLS_METRICS_NAMESPACE,
    );
    const namespace = { 'Fn::Join': ['', ['Outreach/', { Ref: 'AWS::StackName' }]] };
    expect(published).toEqual([namespace, namespace]);
  });
});
