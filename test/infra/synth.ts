import { App, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { OutreachGateStack, type OutreachGateStackProps } from '../../lib/outreach-gate-stack';

/** A CDK app that skips asset bundling: assertion tests check the template, not the bundle. */
export function testApp(context: Record<string, unknown> = {}): App {
  return new App({ context: { 'aws:cdk:bundling-stacks': [], ...context } });
}

/** Synthesises an OutreachGateStack with the given props and returns it with its template. */
export function synthGate(props: OutreachGateStackProps = {}): { stack: OutreachGateStack; template: Template } {
  const stack = new OutreachGateStack(testApp(), 'Gate', props);
  return { stack, template: Template.fromStack(stack) };
}

/** Logical id of the single resource of `type` whose id starts with `prefix`. */
export function logicalId(stack: Stack, template: Template, type: string, prefix: string): string {
  const ids = Object.keys(template.findResources(type)).filter((id) => id.startsWith(prefix));
  if (ids.length !== 1)
    throw new Error(`expected one ${type} starting with ${prefix} in ${stack.stackName}, got ${ids}`);
  return ids[0] as string;
}
