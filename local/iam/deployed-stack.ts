/**
 * The stack as it would be deployed for a local run: synthesized from the same settings (asset bundling skipped),
 * with a producer role granted through the stack's own `grantEnqueue` and `grantReadResults`, and every intrinsic
 * function resolved to the ARNs the local emulators' queues, table and secrets map to. The IAM check evaluates calls
 * against the policies found here; the local runner reads the function's timeout, reserved concurrency and event
 * source mappings from here. Synthesis is cached per process and on disk (see `synth-cache.ts`).
 */
import { App, type CfnElement } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { LaneEndpoints } from '../../lambdas/shared/config';
import { LANES, type Lane } from '../../lambdas/shared/names';
import { OutreachGateStack } from '../../lib/outreach-gate-stack';
import type { GateSettingsInput } from '../../lib/settings';
import { type TemplateResource, templateResolver } from '../../lib/template-values';
import { diskCached } from './synth-cache';

/** The principals whose calls are checked. */
export type PrincipalName = 'dispatcher' | 'producer';

/** Where the local resources live; the synthesized resources are mapped onto these names. */
export interface LocalResourceNames {
  readonly account: string;
  readonly region: string;
  readonly tableName: string;
  /** Each lane's queue URL and ARN, and its dead-letter queue URL. */
  readonly lanes: LaneEndpoints;
  /** The app secret's ARN. (Each user's refresh-token secret is named by the stack: `<prefix>/<user>`.) */
  readonly appSecretArn: string;
}

/** A principal and the identity policies the template attaches to it. */
export interface DeployedPrincipal {
  readonly name: PrincipalName;
  readonly arn: string;
  readonly policies: ReadonlyArray<{ readonly name: string; readonly policy: unknown }>;
}

/** One lane's event source mapping as deployed. */
export interface DeployedMapping {
  readonly batchSize: number;
  readonly maxConcurrency: number;
}

/** The dispatcher function's limits as deployed. */
export interface DeployedFunction {
  readonly timeoutSeconds: number;
  readonly reservedConcurrency: number;
  readonly memoryMiB: number;
  readonly mappings: Readonly<Record<Lane, DeployedMapping>>;
}

/** What the IAM check and the runner need of the deployed stack. */
export interface DeployedStack {
  readonly principals: Readonly<Record<PrincipalName, DeployedPrincipal>>;
  /** Resource policies by the ARN of the resource they are attached to. */
  readonly resourcePolicies: ReadonlyMap<string, unknown>;
  readonly function: DeployedFunction;
  /** Logical id of each principal's role, e.g. to remove a grant from a copy. */
  readonly roleLogicalIds: Readonly<Record<PrincipalName, string>>;
  /** The synthesized template's resources, intrinsic functions unresolved. */
  readonly resources: Readonly<Record<string, TemplateResource>>;
}

/** Raised when the synthesized template lacks what the check needs; the message names it. */
export class DeployedStackError extends Error {
  override readonly name = 'DeployedStackError';
}

const STACK_NAME = 'OutreachGate';
const cache = new Map<string, DeployedStack>();

/** Name of a queue from its ARN (the part after the last ':'). */
function queueNameOf(arn: string): string {
  return arn.slice(arn.lastIndexOf(':') + 1);
}

function secretNameOf(arn: string): string {
  const marker = ':secret:';
  const at = arn.indexOf(marker);
  if (at < 0) throw new DeployedStackError(`not a Secrets Manager ARN: ${arn}`);
  return arn.slice(at + marker.length);
}

/**
 * Synthesizes the stack for `input` and maps it onto `names`. Cached per process by its arguments.
 * @throws GateSettingsError for bad settings; DeployedStackError when the template lacks a principal or mapping.
 */
export function deployedStack(input: GateSettingsInput, names: LocalResourceNames): DeployedStack {
  // Queue URLs carry the emulator's port; the names alone decide the template.
  const queueNames = LANES.map((lane) => [
    names.lanes[lane].queueArn,
    names.lanes[lane].deadLetterQueueUrl.split('/').pop(),
  ]);
  const key = JSON.stringify({ input, names: { ...names, lanes: queueNames } });
  const cached = cache.get(key);
  if (cached) return cached;
  const built = diskCached(key, () => synthesize(input, names), {
    toJson: (stack) => ({ ...stack, resourcePolicies: [...stack.resourcePolicies] }),
    fromJson: (json) => {
      const stack = json as DeployedStack & { resourcePolicies: Array<[string, unknown]> };
      if (!Array.isArray(stack.resourcePolicies) || stack.principals?.dispatcher === undefined) {
        throw new DeployedStackError('corrupt cache entry');
      }
      return { ...stack, resourcePolicies: new Map(stack.resourcePolicies) };
    },
  });
  cache.set(key, built);
  return built;
}

function synthesize(input: GateSettingsInput, names: LocalResourceNames): DeployedStack {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new OutreachGateStack(app, STACK_NAME, {
    ...input,
    env: { account: names.account, region: names.region },
  });
  const producer = new iam.Role(stack, 'LocalProducer', { assumedBy: new iam.AccountRootPrincipal() });
  stack.grantEnqueue(producer);
  stack.grantReadResults(producer);

  const id = (element: unknown) => stack.getLogicalId(element as CfnElement);
  const physicalNames: Record<string, string> = {
    [id(stack.gateTable.table.node.defaultChild)]: names.tableName,
    [id(stack.credentials.appSecret.node.defaultChild)]: secretNameOf(names.appSecretArn),
  };
  for (const lane of LANES) {
    physicalNames[id(stack.lanes.queues[lane].node.defaultChild)] = queueNameOf(names.lanes[lane].queueArn);
    const deadLetterName = names.lanes[lane].deadLetterQueueUrl.split('/').pop() as string;
    physicalNames[id(stack.lanes.deadLetterQueues[lane].node.defaultChild)] = deadLetterName;
  }
  const dispatcherRole = stack.dispatcher.function.role as iam.Role;
  const roleLogicalIds: Record<PrincipalName, string> = {
    dispatcher: id(dispatcherRole.node.defaultChild),
    producer: id(producer.node.defaultChild),
  };
  const template = app.synth().getStackByName(stack.stackName).template as {
    Resources: Record<string, TemplateResource>;
  };
  return fromTemplate(
    template.Resources,
    names,
    physicalNames,
    roleLogicalIds,
    id(stack.dispatcher.function.node.defaultChild),
  );
}

/**
 * Reads principals, resource policies and the function's limits from `resources` (exported so a test can check a
 * copy with one grant removed).
 */
export function fromTemplate(
  resources: Readonly<Record<string, TemplateResource>>,
  names: Pick<LocalResourceNames, 'account' | 'region' | 'lanes'>,
  physicalNames: Readonly<Record<string, string>>,
  roleLogicalIds: Readonly<Record<PrincipalName, string>>,
  functionLogicalId: string,
): DeployedStack {
  const resolve = templateResolver(resources, {
    account: names.account,
    region: names.region,
    stackName: STACK_NAME,
    physicalNames,
    secretSuffix: false,
  });
  const principal = (name: PrincipalName): DeployedPrincipal => {
    const roleId = roleLogicalIds[name];
    const role = resources[roleId];
    if (role?.Type !== 'AWS::IAM::Role') throw new DeployedStackError(`the template has no role ${roleId} (${name})`);
    const managed = role.Properties?.ManagedPolicyArns;
    if (Array.isArray(managed) && managed.length > 0) {
      throw new DeployedStackError(`role ${roleId} (${name}) has managed policies, which the local check cannot read`);
    }
    const policies: Array<{ name: string; policy: unknown }> = [];
    for (const inline of (role.Properties?.Policies as Array<{ PolicyName: string; PolicyDocument: unknown }>) ?? []) {
      policies.push({ name: inline.PolicyName, policy: resolve(inline.PolicyDocument) });
    }
    for (const [logicalId, resource] of Object.entries(resources)) {
      if (resource.Type !== 'AWS::IAM::Policy') continue;
      const roles = (resource.Properties?.Roles as unknown[]) ?? [];
      if (!roles.some((ref) => (ref as { Ref?: string }).Ref === roleId)) continue;
      policies.push({ name: logicalId, policy: resolve(resource.Properties?.PolicyDocument) });
    }
    return { name, arn: resolve({ 'Fn::GetAtt': [roleId, 'Arn'] }) as string, policies };
  };

  const resourcePolicies = new Map<string, unknown>();
  for (const resource of Object.values(resources)) {
    if (resource.Type !== 'AWS::SQS::QueuePolicy') continue;
    const document = resolve(resource.Properties?.PolicyDocument);
    for (const queueUrl of resolve(resource.Properties?.Queues) as string[]) {
      const name = queueUrl.split('/').pop() as string;
      resourcePolicies.set(`arn:aws:sqs:${names.region}:${names.account}:${name}`, document);
    }
  }

  return {
    principals: { dispatcher: principal('dispatcher'), producer: principal('producer') },
    resourcePolicies,
    function: deployedFunction(resources, resolve, functionLogicalId, names.lanes),
    roleLogicalIds,
    resources,
  };
}

function deployedFunction(
  resources: Readonly<Record<string, TemplateResource>>,
  resolve: (value: unknown) => unknown,
  functionLogicalId: string,
  lanes: LaneEndpoints,
): DeployedFunction {
  const fn = resources[functionLogicalId];
  if (fn?.Type !== 'AWS::Lambda::Function')
    throw new DeployedStackError(`the template has no function ${functionLogicalId}`);
  const mappings: Partial<Record<Lane, DeployedMapping>> = {};
  for (const resource of Object.values(resources)) {
    if (resource.Type !== 'AWS::Lambda::EventSourceMapping') continue;
    if ((resource.Properties?.FunctionName as { Ref?: string })?.Ref !== functionLogicalId) continue;
    const source = resolve(resource.Properties?.EventSourceArn);
    const lane = LANES.find((l) => lanes[l].queueArn === source);
    if (lane === undefined) throw new DeployedStackError(`event source mapping of ${String(source)} is on no lane`);
    mappings[lane] = {
      batchSize: Number(resource.Properties?.BatchSize ?? 10),
      maxConcurrency: Number(
        (resource.Properties?.ScalingConfig as { MaximumConcurrency?: number })?.MaximumConcurrency ?? 1000,
      ),
    };
  }
  for (const lane of LANES) {
    if (mappings[lane] === undefined)
      throw new DeployedStackError(`the function has no event source mapping on the ${lane} lane`);
  }
  return {
    timeoutSeconds: Number(fn.Properties?.Timeout ?? 3),
    reservedConcurrency: Number(fn.Properties?.ReservedConcurrentExecutions),
    memoryMiB: Number(fn.Properties?.MemorySize ?? 128),
    mappings: mappings as Record<Lane, DeployedMapping>,
  };
}
