import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  createGateTable,
  type DynamoDbLocal,
  dynamoDbLocalClient,
  startDynamoDbLocal,
} from '../../local/emulators/dynamodb';

/** DynamoDB Local as a test file sees it, available from `beforeAll` on. */
export interface DynamoDbTestContext {
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  readonly documentClient: DynamoDBDocumentClient;
  /** Creates a gate table with a name unique to this file and returns the name. */
  createGateTable(): Promise<string>;
}

let tableCounter = 0;

/**
 * Starts DynamoDB Local once for the calling test file (in `beforeAll`) and stops it in `afterAll`.
 * Call at the top level of a test file or describe block; read the context's fields inside tests.
 */
export function useDynamoDbLocal(): DynamoDbTestContext {
  let local: DynamoDbLocal | undefined;
  let client: DynamoDBClient | undefined;
  let documentClient: DynamoDBDocumentClient | undefined;
  const started = <T>(value: T | undefined): T => {
    if (value === undefined)
      throw new Error('DynamoDB Local is not running: use the context inside tests, not at load time');
    return value;
  };

  beforeAll(async () => {
    local = await startDynamoDbLocal();
    client = dynamoDbLocalClient(local.endpoint);
    documentClient = DynamoDBDocumentClient.from(client);
  }, 30_000);

  afterAll(async () => {
    documentClient?.destroy();
    client?.destroy();
    await local?.stop();
  }, 30_000);

  return {
    get endpoint() {
      return started(local).endpoint;
    },
    get client() {
      return started(client);
    },
    get documentClient() {
      return started(documentClient);
    },
    async createGateTable() {
      const name = `gate-test-${process.pid}-${++tableCounter}`;
      await createGateTable(started(client), name);
      return name;
    },
  };
}
