/**
 * The dispatcher's role allows exactly the DynamoDB and Secrets Manager actions its handler's code calls: the
 * calls are read from every source file in the dispatcher's bundle (as esbuild resolves it), so a call added
 * without its grant, or a grant left after its call is gone, fails here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { App, CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { build } from 'esbuild';
import { DISPATCHER_ENTRY } from '../../lib/constructs/dispatcher';
import { OutreachGateStack } from '../../lib/outreach-gate-stack';
import { testApp } from './synth';

/** The IAM action each SDK command the gate's code may send needs. */
const ACTION_OF_COMMAND: Readonly<Record<string, string>> = {
  GetCommand: 'dynamodb:GetItem',
  PutCommand: 'dynamodb:PutItem',
  UpdateCommand: 'dynamodb:UpdateItem',
  DeleteCommand: 'dynamodb:DeleteItem',
  QueryCommand: 'dynamodb:Query',
  GetSecretValueCommand: 'secretsmanager:GetSecretValue',
  PutSecretValueCommand: 'secretsmanager:PutSecretValue',
  UpdateSecretCommand: 'secretsmanager:UpdateSecret',
  DescribeSecretCommand: 'secretsmanager:DescribeSecret',
  SendMessageCommand: 'sqs:SendMessage',
  ChangeMessageVisibilityCommand: 'sqs:ChangeMessageVisibility',
  ChangeMessageVisibilityBatchCommand: 'sqs:ChangeMessageVisibility',
  DeleteMessageBatchCommand: 'sqs:DeleteMessage',
  PutEventsCommand: 'events:PutEvents',
};
const SERVICES = /^(dynamodb|secretsmanager):/;
/** A first synthesis loads the whole CDK: on a busy machine that alone can take a minute. */
const SYNTH_TIMEOUT = 300_000;

/** Commands sent by the dispatcher's own sources (`new XCommand(`), by the IAM action they need. */
async function actionsCalled(): Promise<string[]> {
  const result = await build({
    entryPoints: [DISPATCHER_ENTRY],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    external: ['@aws-sdk/*'],
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const sources = Object.keys(result.metafile.inputs).filter((path) => !path.includes('node_modules'));
  const commands = new Set(
    sources.flatMap((path) =>
      [...readFileSync(join(process.cwd(), path), 'utf8').matchAll(/new (\w+Command)\(/g)].map((m) => m[1] as string),
    ),
  );
  return [...commands]
    .map((command) => ACTION_OF_COMMAND[command] ?? `unmapped ${command}`)
    .filter((action) => SERVICES.test(action) || action.startsWith('unmapped'))
    .sort();
}

/** The DynamoDB and Secrets Manager actions the dispatcher's role allows in a stack built in `app`. */
function grantedActions(app: App): string[] {
  const stack = new OutreachGateStack(app, 'Gate', { outreachUsers: ['alice', 'bob'] });
  const template = Template.fromStack(stack);
  const role = stack.getLogicalId((stack.dispatcher.function.role as iam.Role).node.defaultChild as CfnElement);
  const granted = Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify(policy.Properties.Roles) === JSON.stringify([{ Ref: role }]))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[] }>)
    .flatMap((statement) => (Array.isArray(statement.Action) ? statement.Action : [statement.Action]))
    .filter((action) => SERVICES.test(action));
  return [...new Set(granted)].sort();
}

test(
  "GIVEN the dispatcher's sources WHEN their SDK calls are listed THEN its role allows exactly those DynamoDB and Secrets Manager actions",
  async () => {
    expect(grantedActions(testApp())).toEqual(await actionsCalled());
  },
  SYNTH_TIMEOUT,
);

test(
  "GIVEN cdk.json's feature flags (as `cdk deploy` synthesizes) THEN the dispatcher's role still allows exactly the actions its handler calls",
  async () => {
    const { context } = JSON.parse(readFileSync(join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as {
      context: Record<string, unknown>;
    };

    expect(grantedActions(testApp(context))).toEqual(await actionsCalled());
  },
  SYNTH_TIMEOUT,
);
