import { type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { OutreachGateStack } from '../../lib/outreach-gate-stack';
import { testApp } from './synth';

type Statement = { Action: string | string[]; Resource: unknown; Effect: string };

/** Every statement of the template's policies, or of those attached to the role with logical id `role`. */
function statementsOf(template: Template, role?: string): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter(
      (policy) => role === undefined || JSON.stringify(policy.Properties.Roles) === JSON.stringify([{ Ref: role }]),
    )
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

const actions = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);

/** Logical ids referenced by a statement's resources (Ref / Fn::GetAtt / Fn::Join parts), pseudo parameters aside. */
function referencedIds(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(referencedIds);
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (typeof record.Ref === 'string') return record.Ref.startsWith('AWS::') ? [] : [record.Ref];
    if (Array.isArray(record['Fn::GetAtt'])) return [String(record['Fn::GetAtt'][0])];
    return Object.values(record).flatMap(referencedIds);
  }
  return [];
}

describe('IAM', () => {
  const app = testApp();
  const stack = new OutreachGateStack(app, 'Gate', { outreachUsers: ['alice', 'bob'] });
  const producerStack = new Stack(app, 'Producer');
  const producer = new iam.Role(producerStack, 'Producer', { assumedBy: new iam.AccountRootPrincipal() });
  stack.grantEnqueue(producer);
  const template = Template.fromStack(stack);

  it('GIVEN the stack THEN no statement grants a wildcard action', () => {
    const wildcard = statementsOf(template)
      .flatMap(actions)
      .filter((a) => a === '*' || a.endsWith(':*'));
    expect(wildcard).toEqual([]);
  });

  it("GIVEN the dispatcher's policy THEN it names only its own queues, table, secrets and log group", () => {
    const allowed = Object.keys({
      ...template.findResources('AWS::SQS::Queue'),
      ...template.findResources('AWS::DynamoDB::GlobalTable'),
      ...template.findResources('AWS::SecretsManager::Secret'),
      ...template.findResources('AWS::Logs::LogGroup'),
    });
    const role = stack.getLogicalId(stack.dispatcher.function.role?.node.defaultChild as iam.CfnRole);
    const referenced = new Set(statementsOf(template, role).flatMap((s) => referencedIds(s.Resource)));
    expect([...referenced].filter((id) => !allowed.includes(id))).toEqual([]);
  });

  it("GIVEN the dispatcher's policy THEN no statement applies to every resource", () => {
    expect(statementsOf(template).filter((s) => s.Resource === '*')).toEqual([]);
  });

  it("GIVEN two users THEN one statement lets the dispatcher read and replace the refresh tokens under the stack's prefix, and nothing else", () => {
    const writes = statementsOf(template)
      .filter((s) => actions(s).includes('secretsmanager:PutSecretValue'))
      .map((s) => ({ actions: actions(s).sort(), resource: JSON.stringify(s.Resource) }));
    expect(writes).toEqual([
      {
        actions: ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'],
        resource: expect.stringMatching(/:secret:outreach-gate\/Gate\/\*"\]\]\}$/),
      },
    ]);
  });

  it('GIVEN two users THEN the app secret is only read', () => {
    const appSecret = stack.getLogicalId(stack.credentials.appSecret.node.defaultChild as CfnElement);
    const onApp = statementsOf(template).filter((s) => referencedIds(s.Resource).includes(appSecret));
    expect(onApp.flatMap(actions).sort()).toEqual(['secretsmanager:GetSecretValue']);
  });

  it('GIVEN grantEnqueue on a producer role THEN the producer may only send messages to the three lanes', () => {
    const producerStatements = statementsOf(Template.fromStack(producerStack));
    expect({
      actions: [...new Set(producerStatements.flatMap(actions))],
      resources: producerStatements.flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource])).length,
    }).toEqual({ actions: ['sqs:SendMessage'], resources: 3 });
  });
});

describe('IAM: what the dispatcher sends', () => {
  const app = testApp();
  const stack = new OutreachGateStack(app, 'Gate', { outreachUsers: ['alice'] });
  const template = Template.fromStack(stack);
  const queueIds = Object.keys(template.findResources('AWS::SQS::Queue'));
  const laneIds = queueIds.filter((id) => !id.includes('DeadLetter') && !id.toLowerCase().includes('dlq'));
  const sendTargets = statementsOf(template)
    .filter((s) => s.Effect === 'Allow' && actions(s).includes('sqs:SendMessage'))
    .flatMap((s) => referencedIds(s.Resource));

  it('GIVEN the synthesized template THEN the dispatcher may send to each of its three lane queues (recycling)', () => {
    expect({ lanes: laneIds.length, missing: laneIds.filter((id) => !sendTargets.includes(id)) }).toEqual({
      lanes: 3,
      missing: [],
    });
  });

  it('GIVEN the synthesized template THEN the lane queues are granted sqs:SendMessage and no other send or delete action', () => {
    const onLanes = statementsOf(template).filter((s) => referencedIds(s.Resource).some((id) => laneIds.includes(id)));
    const sendLike = [...new Set(onLanes.flatMap(actions))].filter((a) => /Send|Delete|Purge/.test(a)).sort();
    expect(sendLike).toEqual(['sqs:DeleteMessage', 'sqs:SendMessage']);
  });
});
