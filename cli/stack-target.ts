import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { awsClientConfig } from '../lambdas/shared/aws-client-timeouts';
import { CloudWatchOldestAge } from './cloudwatch-oldest-age';
import { EventSourceMappingSwitch } from './event-source-mappings';
import { describeStack, readStackOutputs, type StackDescription } from './stack-outputs';
import type { OperateTarget } from './target';

/** The AWS SDK clients a stack target works with; created once by {@link stackClients} or by a test. */
export interface StackClients {
  readonly cloudformation: CloudFormationClient;
  readonly lambda: LambdaClient;
  readonly cloudwatch: CloudWatchClient;
  readonly sqs: SQSClient;
  readonly dynamodb: DynamoDBClient;
}

/** Clients on the usual credential and region chain, in `region` when given, with the gate's timeouts. */
export function stackClients(region?: string): StackClients {
  const config = { ...awsClientConfig(), ...(region === undefined ? {} : { region }) };
  return {
    cloudformation: new CloudFormationClient(config),
    lambda: new LambdaClient(config),
    cloudwatch: new CloudWatchClient(config),
    sqs: new SQSClient(config),
    dynamodb: new DynamoDBClient(config),
  };
}

/**
 * The target of the deployed stack `stackName`: its outputs name the queues, table, dispatcher and
 * configuration; pause/resume switch the dispatcher's event source mappings; oldest age comes from CloudWatch.
 * The clients are closed with the target.
 */
export async function stackTarget(
  stackName: string,
  clients: StackClients,
  clock: () => number = Date.now,
): Promise<OperateTarget> {
  const close = () => {
    for (const client of Object.values(clients)) client.destroy();
  };
  let stack: StackDescription;
  try {
    stack = describeStack(stackName, await readStackOutputs(clients.cloudformation, stackName));
  } catch (error) {
    close();
    throw error;
  }
  return {
    description: `stack ${stackName}`,
    tableName: stack.tableName,
    lanes: stack.lanes,
    config: stack.config,
    sqs: clients.sqs,
    dynamodb: DynamoDBDocumentClient.from(clients.dynamodb),
    lanesSwitch: new EventSourceMappingSwitch(clients.lambda, stack.functionName, stack.lanes),
    oldestAge: new CloudWatchOldestAge(clients.cloudwatch, stack.lanes, clock),
    close,
  };
}
