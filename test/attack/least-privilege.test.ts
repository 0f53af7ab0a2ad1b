/**
 * Attacks on "least-privileged": a producer granted through `grantEnqueue` and `grantReadResults` tries to read
 * tokens, gate state and secrets; the dispatcher's role is checked for actions it never calls and for events on a
 * bus other than the completion bus. Each request is evaluated by an IAM policy evaluator
 * (`@cloud-copilot/iam-simulate`) against the policies resolved to realistic ARNs.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import { OutreachGate } from '../../lib/outreach-gate';
import { type TemplateResource, templateResolver } from '../../lib/template-values';
import { testApp } from '../infra/synth';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const STACK_NAME = 'Sales';

interface Deployed {
  readonly resources: Record<string, TemplateResource>;
  readonly resolve: (value: unknown) => unknown;
  readonly ids: { producer: string; dispatcherRole: string; monitorRole: string; table: string; bus: string };
}

let cached: Deployed | undefined;
function deploy(): Deployed {
  if (cached !== undefined) return cached;
  const stack = new Stack(testApp(), STACK_NAME, { env: { account: ACCOUNT, region: REGION } });
  const bus = new events.EventBus(stack, 'SalesEvents');
  const gate = new OutreachGate(stack, 'Gate', {
    outreachUsers: ['alice', 'bob'],
    completionEvents: true,
    completionEventBus: bus,
  });
  const producer = new iam.Role(stack, 'Producer', { assumedBy: new iam.AccountRootPrincipal() });
  gate.grantEnqueue(producer);
  gate.grantReadResults(producer);
  const resources = Template.fromStack(stack).toJSON().Resources as Record<string, TemplateResource>;
  const generic = templateResolver(resources, { account: ACCOUNT, region: REGION, stackName: STACK_NAME });
  // The generic resolver does not know event buses: give the custom bus its real ARN wherever it appears.
  const busId = stack.getLogicalId(bus.node.defaultChild as never);
  const busName = String(resources[busId]?.Properties?.Name);
  const unknownBusArn = `arn:aws:unknown:${REGION}:${ACCOUNT}:${STACK_NAME}-${busId}-ABCDEFGHIJKL`;
  const busArn = `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${busName}`;
  const resolve = (value: unknown) => JSON.parse(JSON.stringify(generic(value)).split(unknownBusArn).join(busArn));
  const id = (construct: { node: { defaultChild?: unknown } } | unknown) =>
    stack.getLogicalId(((construct as { node: { defaultChild: unknown } }).node.defaultChild ?? construct) as never);
  cached = {
    resources,
    resolve,
    ids: {
      producer: id(producer),
      dispatcherRole: id(gate.dispatcher.function.role),
      monitorRole: id(gate.monitor.function.role),
      table: id(gate.gateTable.table),
      bus: id(bus),
    },
  };
  return cached;
}

/** The identity policies attached to the role with logical id `roleId`, resolved. */
function policiesOf(roleId: string): { name: string; policy: unknown }[] {
  const { resources, resolve } = deploy();
  return Object.entries(resources)
    .filter(
      ([, r]) =>
        r.Type === 'AWS::IAM::Policy' &&
        ((r.Properties?.Roles as { Ref: string }[]) ?? []).some((role) => role.Ref === roleId),
    )
    .map(([name, r]) => ({ name, policy: resolve(r.Properties?.PolicyDocument) }));
}

/** A resolved attribute of a resource. */
function attribute(logicalId: string, name: string): string {
  return String(deploy().resolve({ 'Fn::GetAtt': [logicalId, name] }));
}

/** The resolved resource policy of the queue with ARN `queueArn`, if it has one. */
function queuePolicy(queueArn: string): unknown {
  const { resources, resolve } = deploy();
  const found = Object.values(resources).find(
    (r) =>
      r.Type === 'AWS::SQS::QueuePolicy' &&
      ((r.Properties?.Queues as unknown[]) ?? []).some((q) => {
        const url = String(resolve(q));
        return url.endsWith(`/${queueArn.split(':').pop()}`);
      }),
  );
  return found === undefined ? undefined : resolve(found.Properties?.PolicyDocument);
}

async function verdict(
  roleId: string,
  action: string,
  resource: string,
  context: Record<string, string | string[]> = {},
  resourcePolicy?: unknown,
): Promise<string> {
  const result = await runSimulation(
    {
      request: {
        principal: attribute(roleId, 'Arn'),
        action,
        resource: { resource, accountId: ACCOUNT },
        contextVariables: { 'aws:SecureTransport': 'true', ...context },
      },
      identityPolicies: policiesOf(roleId),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(resourcePolicy !== undefined && { resourcePolicy: resourcePolicy as never }),
    },
    { simulationMode: 'Strict' },
  );
  if (result.resultType === 'error') throw new Error(JSON.stringify(result.errors));
  return result.overallResult;
}

function queueArns(fragment: string): string[] {
  return Object.entries(deploy().resources)
    .filter(([id, r]) => r.Type === 'AWS::SQS::Queue' && id.includes(fragment))
    .map(([id]) => attribute(id, 'Arn'));
}

describe('a producer granted grantEnqueue and grantReadResults', () => {
  const producer = () => deploy().ids.producer;
  const tableArn = () => attribute(deploy().ids.table, 'Arn');

  test('GIVEN an intent record key WHEN the producer gets the item THEN it is allowed', async () => {
    expect(
      await verdict(producer(), 'dynamodb:GetItem', tableArn(), { 'dynamodb:LeadingKeys': ['intent#order-1'] }),
    ).toBe('Allowed');
  });

  test.each([
    ['token#alice', 'a token item'],
    ['gate#alice', 'a gate item'],
    ['pump#bulk', 'a pump item'],
  ])('GIVEN %s (%s) WHEN the producer gets the item THEN it is denied', async (key) => {
    expect(await verdict(producer(), 'dynamodb:GetItem', tableArn(), { 'dynamodb:LeadingKeys': [key] })).not.toBe(
      'Allowed',
    );
  });

  test.each(['dynamodb:Query', 'dynamodb:Scan', 'dynamodb:BatchGetItem', 'dynamodb:PartiQLSelect'])(
    'GIVEN the token key WHEN the producer calls %s THEN it is denied',
    async (action) => {
      expect(await verdict(producer(), action, tableArn(), { 'dynamodb:LeadingKeys': ['token#alice'] })).not.toBe(
        'Allowed',
      );
    },
  );

  test("GIVEN a user's refresh-token secret WHEN the producer reads it THEN it is denied", async () => {
    const secret = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:outreach-gate/${STACK_NAME}/alice-AbCdEf`;
    expect(await verdict(producer(), 'secretsmanager:GetSecretValue', secret)).not.toBe('Allowed');
  });

  test('GIVEN the lanes WHEN the producer sends THEN it is allowed on each lane and denied on each dead-letter queue', async () => {
    const lanes = queueArns('Queue').filter((arn) => !arn.includes('DeadLetter'));
    const deadLetters = queueArns('DeadLetterQueue');
    expect(lanes.length).toBe(3);
    expect(deadLetters.length).toBe(3);
    for (const arn of lanes) expect(await verdict(producer(), 'sqs:SendMessage', arn)).toBe('Allowed');
    for (const arn of deadLetters) expect(await verdict(producer(), 'sqs:SendMessage', arn)).not.toBe('Allowed');
  });

  test('GIVEN a lane WHEN the producer sends without TLS THEN the queue policy denies it', async () => {
    const [lane] = queueArns('CriticalQueue');
    const policy = queuePolicy(String(lane));
    expect(policy).toBeDefined();
    expect(await verdict(producer(), 'sqs:SendMessage', String(lane), {}, policy)).toBe('Allowed');
    expect(
      await verdict(producer(), 'sqs:SendMessage', String(lane), { 'aws:SecureTransport': 'false' }, policy),
    ).not.toBe('Allowed');
  });

  test('GIVEN the lanes WHEN the producer receives from a lane THEN it is denied', async () => {
    const [lane] = queueArns('CriticalQueue');
    expect(await verdict(producer(), 'sqs:ReceiveMessage', String(lane))).not.toBe('Allowed');
  });
});

describe('the dispatcher with completion events on a custom bus', () => {
  const dispatcher = () => deploy().ids.dispatcherRole;

  test('GIVEN a custom completion bus WHEN the dispatcher puts events on it THEN it is allowed', async () => {
    expect(await verdict(dispatcher(), 'events:PutEvents', attribute(deploy().ids.bus, 'Arn'))).toBe('Allowed');
  });

  test("GIVEN a custom completion bus WHEN the dispatcher puts events on the account's default bus THEN it is denied", async () => {
    const defaultBus = `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default`;
    expect(await verdict(dispatcher(), 'events:PutEvents', defaultBus)).not.toBe('Allowed');
  });

  test('GIVEN the dead-letter queues WHEN the dispatcher role is read THEN it may only send to them (the dispatcher calls nothing else on them)', () => {
    const deadLetters = new Set(queueArns('DeadLetterQueue'));
    const actions = new Set<string>();
    for (const { policy } of policiesOf(dispatcher())) {
      for (const statement of (policy as { Statement: { Action: string | string[]; Resource: unknown }[] }).Statement) {
        const resources = ([] as unknown[]).concat(statement.Resource).map(String);
        if (resources.some((r) => deadLetters.has(r))) {
          for (const action of ([] as string[]).concat(statement.Action)) actions.add(action);
        }
      }
    }
    expect([...actions].sort()).toEqual(['sqs:SendMessage']);
  });
});

describe('the monitor', () => {
  const monitor = () => deploy().ids.monitorRole;
  const tableArn = () => attribute(deploy().ids.table, 'Arn');

  test("GIVEN a user's gate item WHEN the monitor reads it THEN it is allowed", async () => {
    expect(await verdict(monitor(), 'dynamodb:GetItem', tableArn(), { 'dynamodb:LeadingKeys': ['gate#alice'] })).toBe(
      'Allowed',
    );
  });

  test("GIVEN a user's token item WHEN the monitor reads it THEN it is denied", async () => {
    expect(
      await verdict(monitor(), 'dynamodb:GetItem', tableArn(), { 'dynamodb:LeadingKeys': ['token#alice'] }),
    ).not.toBe('Allowed');
  });

  test("GIVEN a user's gate item WHEN the monitor writes it THEN it is denied (it writes only pump items)", async () => {
    expect(
      await verdict(monitor(), 'dynamodb:PutItem', tableArn(), { 'dynamodb:LeadingKeys': ['gate#alice'] }),
    ).not.toBe('Allowed');
  });

  test("GIVEN another function's event source mapping WHEN the monitor updates it THEN it is denied", async () => {
    const other = `arn:aws:lambda:${REGION}:${ACCOUNT}:event-source-mapping:11111111-2222-3333-4444-555555555555`;
    expect(await verdict(monitor(), 'lambda:UpdateEventSourceMapping', other)).not.toBe('Allowed');
  });
});

describe("the dispatcher with completion events on the account's default bus", () => {
  test('GIVEN completionEvents without a bus WHEN synthesised THEN PutEvents is granted on the default bus only', () => {
    const stack = new Stack(testApp(), 'SalesDefaultBus', { env: { account: ACCOUNT, region: REGION } });
    const gate = new OutreachGate(stack, 'Gate', { completionEvents: true });
    const resources = Template.fromStack(stack).toJSON().Resources as Record<string, TemplateResource>;
    const resolve = templateResolver(resources, { account: ACCOUNT, region: REGION, stackName: 'SalesDefaultBus' });
    const roleId = stack.getLogicalId(gate.dispatcher.function.role?.node.defaultChild as never);
    const putEventsResources: string[] = [];
    for (const resource of Object.values(resources)) {
      if (resource.Type !== 'AWS::IAM::Policy') continue;
      if (!((resource.Properties?.Roles as { Ref: string }[]) ?? []).some((r) => r.Ref === roleId)) continue;
      const document = resolve(resource.Properties?.PolicyDocument) as {
        Statement: { Action: string | string[]; Resource: unknown }[];
      };
      for (const statement of document.Statement) {
        const actions = ([] as string[]).concat(statement.Action);
        if (actions.some((a) => a === 'events:PutEvents' || a === 'events:*' || a === '*')) {
          putEventsResources.push(...([] as unknown[]).concat(statement.Resource).map(String));
        }
      }
    }
    expect(putEventsResources).toEqual([`arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default`]);
  });
});
