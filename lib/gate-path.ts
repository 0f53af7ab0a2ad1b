import { Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * The ids from `gate`'s stack down to `gate` itself (empty when `gate` is the stack): what the gate's default
 * names add after the stack's name, so two gates in one stack never share a secret name or a metrics namespace.
 */
export function gatePathBelowStack(gate: IConstruct): string[] {
  const stack = Stack.of(gate);
  if (gate === stack) return [];
  return gate.node.scopes.slice(gate.node.scopes.indexOf(stack) + 1).map((construct) => construct.node.id);
}
