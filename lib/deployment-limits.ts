/**
 * AWS limits a deployment of the gate can break, measured on the synthesized template so that synthesis stops with
 * a message naming the limit and the value, instead of CloudFormation failing half-way through `cdk deploy`:
 * Lambda's 4 KB of environment variables (measured with realistic ARNs and generated names, since the template
 * only holds references), CloudFormation's 500 resources and its 1 MB template.
 */
import { type TemplateResource, templateResolver } from './template-values';

/** The limits, as AWS documents them. */
export const DEPLOYMENT_LIMITS = {
  /** Lambda: total size of a function's environment variables (keys and values), 4 KB. */
  lambdaEnvironmentBytes: 4096,
  /** CloudFormation: resources in one stack. */
  cloudFormationResources: 500,
  /** CloudFormation: template body uploaded through S3, 1 MB (counted as 10^6 bytes, the stricter reading). */
  cloudFormationTemplateBytes: 1_000_000,
} as const;

/** An account and a region of the longest usual length, for sizes measured before deployment. */
const REALISTIC_PLACEMENT = { account: '123456789012', region: 'ap-southeast-2' } as const;

/** What one synthesized stack measures against the limits. */
export interface DeploymentMeasure {
  /** Resources in the template. */
  readonly resources: number;
  /** Bytes of the template as `cdk deploy` uploads it (JSON, one-space indentation). */
  readonly templateBytes: number;
  /** Bytes of each function's environment variables (keys and values, UTF-8), with realistic ARNs, by logical id. */
  readonly environmentBytes: Readonly<Record<string, number>>;
}

/** A template as far as measuring needs it. */
export interface MeasuredTemplate {
  readonly Resources?: Readonly<Record<string, TemplateResource>>;
  readonly [section: string]: unknown;
}

/** Measures `template` of stack `stackName`. Pure. */
export function measureDeployment(template: MeasuredTemplate, stackName: string): DeploymentMeasure {
  const resources = template.Resources ?? {};
  const resolve = templateResolver(resources, { ...REALISTIC_PLACEMENT, stackName });
  const environmentBytes: Record<string, number> = {};
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const variables = (resource.Properties?.Environment as { Variables?: unknown } | undefined)?.Variables;
    const resolved = (resolve(variables ?? {}) ?? {}) as Record<string, unknown>;
    environmentBytes[logicalId] = Object.entries(resolved).reduce(
      (sum, [key, value]) => sum + Buffer.byteLength(key, 'utf8') + Buffer.byteLength(String(value), 'utf8'),
      0,
    );
  }
  return {
    resources: Object.keys(resources).length,
    templateBytes: Buffer.byteLength(JSON.stringify(template, undefined, 1), 'utf8'),
    environmentBytes,
  };
}

/** Every limit `measure` breaks, each in one sentence naming the limit and the value; empty when none. Pure. */
export function deploymentLimitViolations(measure: DeploymentMeasure, what = 'the stack'): string[] {
  const violations: string[] = [];
  for (const [logicalId, bytes] of Object.entries(measure.environmentBytes)) {
    if (bytes > DEPLOYMENT_LIMITS.lambdaEnvironmentBytes) {
      violations.push(
        `Lambda environment variables of function ${logicalId} in ${what} take ${bytes} bytes with realistic ARNs; Lambda allows ${DEPLOYMENT_LIMITS.lambdaEnvironmentBytes} bytes (4 KB) in all. Fewer Outreach users per stack keep it deployable.`,
      );
    }
  }
  if (measure.resources > DEPLOYMENT_LIMITS.cloudFormationResources) {
    violations.push(
      `${what} has ${measure.resources} resources; CloudFormation allows ${DEPLOYMENT_LIMITS.cloudFormationResources} per stack.`,
    );
  }
  if (measure.templateBytes > DEPLOYMENT_LIMITS.cloudFormationTemplateBytes) {
    violations.push(
      `the template of ${what} is ${measure.templateBytes} bytes; CloudFormation allows ${DEPLOYMENT_LIMITS.cloudFormationTemplateBytes} bytes (1 MB).`,
    );
  }
  return violations;
}
