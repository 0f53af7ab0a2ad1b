/**
 * What an SQS, DynamoDB or Secrets Manager call asks IAM for: the action(s) and the resource ARN(s) the real call
 * would be authorised against, with the condition keys the gate's policies use. Pure: a command's name and input
 * in, requests out. Local queue URLs and table names map to ARNs in the local account and region, which the
 * deployed stack's resources are mapped onto.
 */
import { TABLE_KEYS } from '../../lambdas/shared/names';
import type { IamRequest } from './policy-check';

/** The services whose calls are checked. */
export type CheckedService = 'sqs' | 'dynamodb' | 'secretsmanager';

/** Account and region of the ARNs built from queue URLs, table names and secret names. */
export interface ArnScope {
  readonly account: string;
  readonly region: string;
}

/** Raised for a call the check cannot map to an action and a resource; the message names the command. */
export class UnmappedCallError extends Error {
  override readonly name = 'UnmappedCallError';
}

/** SQS batch operations are authorised as their single-message action. */
const SQS_ACTIONS: Readonly<Record<string, string>> = {
  SendMessageBatch: 'SendMessage',
  DeleteMessageBatch: 'DeleteMessage',
  ChangeMessageVisibilityBatch: 'ChangeMessageVisibility',
};

/** The document client's command names, as the DynamoDB operations they are. */
const DOCUMENT_OPERATIONS: Readonly<Record<string, string>> = {
  Get: 'GetItem',
  Put: 'PutItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  BatchGet: 'BatchGetItem',
  BatchWrite: 'BatchWriteItem',
  TransactGet: 'TransactGetItems',
  TransactWrite: 'TransactWriteItems',
  ExecuteStatement: 'ExecuteStatement',
  BatchExecuteStatement: 'BatchExecuteStatement',
  ExecuteTransaction: 'ExecuteTransaction',
};

/** `SendMessageCommand` → `SendMessage`. */
function operationOf(commandName: string | undefined): string {
  if (!commandName?.endsWith('Command')) throw new UnmappedCallError(`cannot check a call without a command name`);
  return commandName.slice(0, -'Command'.length);
}

/**
 * The IAM requests a call makes.
 * @throws UnmappedCallError for an operation or input the check cannot map (so nothing goes unchecked).
 */
export function iamRequestsOf(
  service: CheckedService,
  commandName: string | undefined,
  input: Record<string, unknown>,
  scope: ArnScope,
): IamRequest[] {
  const operation = operationOf(commandName);
  switch (service) {
    case 'sqs':
      return [sqsRequest(operation, input, scope)];
    case 'dynamodb':
      return dynamodbRequests(DOCUMENT_OPERATIONS[operation] ?? operation, input, scope);
    case 'secretsmanager':
      return [secretsRequest(operation, input, scope)];
  }
}

/** The queue ARN of a queue URL (`…/<account>/<name>`): the name is the URL's last path segment. */
export function queueArnOf(queueUrl: string, scope: ArnScope): string {
  const name = queueUrl.split('/').filter(Boolean).pop();
  if (!name) throw new UnmappedCallError(`cannot read a queue name from the queue URL "${queueUrl}"`);
  return `arn:aws:sqs:${scope.region}:${scope.account}:${name}`;
}

function sqsRequest(operation: string, input: Record<string, unknown>, scope: ArnScope): IamRequest {
  const action = `sqs:${SQS_ACTIONS[operation] ?? operation}`;
  if (operation === 'ListQueues') return { action, resource: '*' };
  if (operation === 'CreateQueue' && typeof input.QueueName === 'string') {
    return { action, resource: `arn:aws:sqs:${scope.region}:${scope.account}:${input.QueueName}` };
  }
  if (typeof input.QueueUrl !== 'string') throw new UnmappedCallError(`sqs ${operation} has no QueueUrl to check`);
  return { action, resource: queueArnOf(input.QueueUrl, scope) };
}

function tableArn(table: unknown, operation: string, scope: ArnScope): string {
  if (typeof table !== 'string' || table === '') {
    throw new UnmappedCallError(`dynamodb ${operation} has no TableName to check`);
  }
  if (table.startsWith('arn:')) return table;
  return `arn:aws:dynamodb:${scope.region}:${scope.account}:table/${table}`;
}

/** The partition key value of a key or item, marshalled (`{S: …}`) or not. */
function partitionKeyOf(keyOrItem: unknown): string | undefined {
  const value = (keyOrItem as Record<string, unknown> | undefined)?.[TABLE_KEYS.partitionKey];
  if (typeof value === 'string') return value;
  const marshalled = (value as { S?: unknown } | undefined)?.S;
  return typeof marshalled === 'string' ? marshalled : undefined;
}

function itemRequest(action: string, table: unknown, keyOrItem: unknown, scope: ArnScope): IamRequest {
  const pk = partitionKeyOf(keyOrItem);
  return {
    action: `dynamodb:${action}`,
    resource: tableArn(table, action, scope),
    ...(pk !== undefined && { context: { 'dynamodb:LeadingKeys': [pk] } }),
  };
}

function dynamodbRequests(operation: string, input: Record<string, unknown>, scope: ArnScope): IamRequest[] {
  switch (operation) {
    case 'GetItem':
    case 'UpdateItem':
    case 'DeleteItem':
      return [itemRequest(operation, input.TableName, input.Key, scope)];
    case 'PutItem':
      return [itemRequest(operation, input.TableName, input.Item, scope)];
    case 'TransactWriteItems': {
      const items =
        (input.TransactItems as Array<Record<string, { TableName?: string; Key?: unknown; Item?: unknown }>>) ?? [];
      const actions: Record<string, string> = {
        Put: 'PutItem',
        Update: 'UpdateItem',
        Delete: 'DeleteItem',
        ConditionCheck: 'ConditionCheckItem',
      };
      return items.flatMap((item) =>
        Object.entries(item).map(([kind, op]) =>
          itemRequest(actions[kind] ?? kind, op.TableName, op.Key ?? op.Item, scope),
        ),
      );
    }
    case 'TransactGetItems': {
      const items = (input.TransactItems as Array<{ Get: { TableName?: string; Key?: unknown } }>) ?? [];
      return items.map(({ Get }) => itemRequest('GetItem', Get.TableName, Get.Key, scope));
    }
    case 'BatchGetItem':
    case 'BatchWriteItem':
      return Object.keys((input.RequestItems as Record<string, unknown>) ?? {}).map((table) => ({
        action: `dynamodb:${operation}`,
        resource: tableArn(table, operation, scope),
      }));
    case 'Query':
    case 'Scan':
    case 'DescribeTable':
    case 'CreateTable':
    case 'DeleteTable':
    case 'UpdateTimeToLive':
      return [{ action: `dynamodb:${operation}`, resource: tableArn(input.TableName, operation, scope) }];
    default:
      throw new UnmappedCallError(`dynamodb ${operation} is not mapped to IAM actions; add it to the check`);
  }
}

function secretsRequest(operation: string, input: Record<string, unknown>, scope: ArnScope): IamRequest {
  const id = input.SecretId;
  if (typeof id !== 'string' || id === '') throw new UnmappedCallError(`secretsmanager ${operation} has no SecretId`);
  const resource = id.startsWith('arn:') ? id : `arn:aws:secretsmanager:${scope.region}:${scope.account}:secret:${id}`;
  return { action: `secretsmanager:${operation}`, resource };
}
