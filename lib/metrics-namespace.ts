import { createHash } from 'node:crypto';
import { Stack, Token } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { METRICS_NAMESPACE_MAX_LENGTH, metricsNamespaceProblem } from '../lambdas/shared/metrics-namespace';
import { METRICS_NAMESPACE_PREFIX } from '../lambdas/shared/names';
import { gatePathBelowStack } from './gate-path';
import { GateSettingsError } from './settings';

/** Characters of a construct id that CloudWatch does not allow in a namespace (`/` separates the path's ids). */
const NOT_NAMESPACE_CHARACTERS = /[^0-9A-Za-z._\-#: ]/g;
/** Hex characters of the hash that ends a default namespace too long for CloudWatch. */
const HASH_LENGTH = 8;

/**
 * A gate's default CloudWatch namespace: `OutreachGate/<stack name>`, followed by the gate's construct path below
 * its stack when the gate is not the stack's own (`Default`), so two gates in one account and region never share a
 * metric. Characters CloudWatch does not allow become `-`; a namespace above CloudWatch's 255 characters is cut and
 * ends with a hash of the whole, so it stays unique. A stack name known only at deployment is kept as it is. Pure.
 */
export function defaultMetricsNamespace(stackName: string, gatePath: readonly string[] = []): string {
  const parts = gatePath.filter((id) => id !== 'Default').map((id) => id.replace(NOT_NAMESPACE_CHARACTERS, '-'));
  const namespace = [METRICS_NAMESPACE_PREFIX, stackName, ...parts].join('/');
  if (Token.isUnresolved(namespace) || namespace.length <= METRICS_NAMESPACE_MAX_LENGTH) return namespace;
  const hash = createHash('sha256').update(namespace).digest('hex').slice(0, HASH_LENGTH);
  return `${namespace.slice(0, METRICS_NAMESPACE_MAX_LENGTH - HASH_LENGTH - 1)}-${hash}`;
}

/**
 * The CloudWatch namespace of the gate `gate`: `given`, checked against CloudWatch's rules, or the gate's
 * {@link defaultMetricsNamespace}. A value holding a token (a nested stack's name, `Aws.STACK_NAME`) is known only
 * at deployment and is not checked.
 * @throws GateSettingsError naming the value and the rule it breaks.
 */
export function gateMetricsNamespace(gate: IConstruct, given?: string): string {
  if (given !== undefined && typeof given !== 'string') {
    throw new GateSettingsError(`metricsNamespace must be a string, got ${JSON.stringify(given)}`);
  }
  const namespace = given ?? defaultMetricsNamespace(Stack.of(gate).stackName, gatePathBelowStack(gate));
  const problem = Token.isUnresolved(namespace) ? undefined : metricsNamespaceProblem(namespace);
  if (problem !== undefined) throw new GateSettingsError(`metricsNamespace: ${problem}`);
  return namespace;
}
