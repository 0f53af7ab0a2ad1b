/**
 * AWS limits a deployment of the gate can break, measured on the synthesized template so that synthesis stops with
 * a message naming the limit and the value, instead of CloudFormation failing half-way through `cdk deploy`:
 * Lambda's 4 KB of environment variables (measured with realistic ARNs and generated names, since the template
 * only holds references), CloudFormation's 500 resources, 200 outputs and 1 MB template, and IAM's policy sizes
 * (a role's inline policies, each managed policy, each trust policy; IAM does not count white space).
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
  /** CloudFormation: outputs in one template. */
  cloudFormationOutputs: 200,
  /** IAM: all inline policies of one role together, in characters without white space. */
  iamRoleInlinePolicyChars: 10_240,
  /** IAM: one managed policy, in characters without white space. */
  iamManagedPolicyChars: 6_144,
  /** IAM: one role's trust policy, in characters without white space (the default quota). */
  iamTrustPolicyChars: 2_048,
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
  /** Outputs in the template. @default 0 */
  readonly outputs?: number;
  /** Characters (no white space, realistic ARNs) of each role's inline policies together, by the role's logical id. */
  readonly roleInlinePolicyChars?: Readonly<Record<string, number>>;
  /** Characters of each managed policy, by logical id. */
  readonly managedPolicyChars?: Readonly<Record<string, number>>;
  /** Characters of each role's trust policy, by the role's logical id. */
  readonly trustPolicyChars?: Readonly<Record<string, number>>;
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
    outputs: Object.keys((template.Outputs as Record<string, unknown> | undefined) ?? {}).length,
    ...policySizes(resources, resolve),
  };
}

/** A policy document's size as IAM counts it: characters of its JSON without white space. */
function policyChars(document: unknown): number {
  return JSON.stringify(document ?? {}).length;
}

/** Inline (per role, summed), managed and trust policy sizes of `resources`, resolved with realistic names. */
function policySizes(
  resources: Readonly<Record<string, TemplateResource>>,
  resolve: (value: unknown) => unknown,
): Required<Pick<DeploymentMeasure, 'roleInlinePolicyChars' | 'managedPolicyChars' | 'trustPolicyChars'>> {
  const roleInlinePolicyChars: Record<string, number> = {};
  const managedPolicyChars: Record<string, number> = {};
  const trustPolicyChars: Record<string, number> = {};
  const addInline = (role: string, chars: number) => {
    roleInlinePolicyChars[role] = (roleInlinePolicyChars[role] ?? 0) + chars;
  };
  for (const [logicalId, resource] of Object.entries(resources)) {
    const props = resource.Properties ?? {};
    if (resource.Type === 'AWS::IAM::Role') {
      trustPolicyChars[logicalId] = policyChars(resolve(props.AssumeRolePolicyDocument));
      addInline(logicalId, 0);
      for (const inline of (props.Policies as Array<{ PolicyName: unknown; PolicyDocument: unknown }>) ?? []) {
        addInline(logicalId, policyChars(resolve(inline.PolicyDocument)));
      }
    } else if (resource.Type === 'AWS::IAM::Policy') {
      const chars = policyChars(resolve(props.PolicyDocument));
      for (const role of (props.Roles as unknown[]) ?? []) {
        const ref = (role as { Ref?: unknown }).Ref;
        if (typeof ref === 'string') addInline(ref, chars);
      }
    } else if (resource.Type === 'AWS::IAM::ManagedPolicy') {
      managedPolicyChars[logicalId] = policyChars(resolve(props.PolicyDocument));
    }
  }
  return { roleInlinePolicyChars, managedPolicyChars, trustPolicyChars };
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
  if ((measure.outputs ?? 0) > DEPLOYMENT_LIMITS.cloudFormationOutputs) {
    violations.push(
      `${what} has ${measure.outputs} outputs; CloudFormation allows ${DEPLOYMENT_LIMITS.cloudFormationOutputs} per template.`,
    );
  }
  const over = (
    sizes: Readonly<Record<string, number>> | undefined,
    limit: number,
    describe: (id: string, n: number) => string,
  ) => {
    for (const [id, chars] of Object.entries(sizes ?? {})) if (chars > limit) violations.push(describe(id, chars));
  };
  over(
    measure.roleInlinePolicyChars,
    DEPLOYMENT_LIMITS.iamRoleInlinePolicyChars,
    (id, n) =>
      `the inline policies of role ${id} in ${what} take ${n} characters with realistic ARNs; IAM allows ${DEPLOYMENT_LIMITS.iamRoleInlinePolicyChars} per role.`,
  );
  over(
    measure.managedPolicyChars,
    DEPLOYMENT_LIMITS.iamManagedPolicyChars,
    (id, n) =>
      `managed policy ${id} in ${what} takes ${n} characters with realistic ARNs; IAM allows ${DEPLOYMENT_LIMITS.iamManagedPolicyChars}.`,
  );
  over(
    measure.trustPolicyChars,
    DEPLOYMENT_LIMITS.iamTrustPolicyChars,
    (id, n) =>
      `the trust policy of role ${id} in ${what} takes ${n} characters; IAM allows ${DEPLOYMENT_LIMITS.iamTrustPolicyChars} by default.`,
  );
  return violations;
}
