import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { parseIntent } from '../../lambdas/shared/intent';
import { type IntentRecord, newIntentRecord, toIntentRecordItem } from '../../lambdas/shared/intent-record';
import {
  IntentResultTimeoutError,
  IntentValidationError,
  OutreachGateClient,
  OutreachGateClientError,
} from '../../lib/client';
import { dynamoDbLocalClient } from '../../local/emulators/dynamodb';
import { useDynamoDbLocal } from '../support/dynamodb';

const laneUrls = {
  critical: 'https://q/critical.fifo',
  standard: 'https://q/standard.fifo',
  bulk: 'https://q/bulk.fifo',
};

const intentFor = (id: string) =>
  parseIntent({
    v: 1,
    id,
    user: 'u1',
    lane: 'standard',
    operation: { type: 'prospect.create', attributes: { emails: [`${id}@example.com`] } },
  });

describe('OutreachGateClient.waitForResult on DynamoDB Local', () => {
  const dynamodb = useDynamoDbLocal();
  let tableName: string;

  beforeAll(async () => {
    tableName = await dynamodb.createGateTable();
  });

  const store = (id: string, patch: Partial<IntentRecord>) =>
    dynamodb.documentClient.send(
      new PutCommand({
        TableName: tableName,
        Item: toIntentRecordItem({ ...newIntentRecord(intentFor(id), Date.now(), 3600), ...patch }),
      }),
    );

  /** A client whose DynamoDB client runs `afterFirstRead` once, right after its first GetItem has answered. */
  function clientSettlingAfterFirstRead(afterFirstRead: () => Promise<unknown>) {
    const raw = dynamoDbLocalClient(dynamodb.endpoint);
    let reads = 0;
    raw.middlewareStack.add(
      (next, context) => async (args) => {
        const output = await next(args);
        if (context.commandName === 'GetItemCommand' && ++reads === 1) await afterFirstRead();
        return output;
      },
      { step: 'initialize', name: 'settleAfterFirstRead' },
    );
    return { client: new OutreachGateClient({ laneUrls, tableName, dynamodb: raw }), reads: () => reads, raw };
  }

  it("GIVEN an intent in progress that succeeds after the first read WHEN its result is awaited THEN it resolves with Outreach's answer", async () => {
    await store('wait-ok', {});
    const result = { httpStatus: 201, resourceType: 'prospect', resourceId: 42 };
    const { client, reads, raw } = clientSettlingAfterFirstRead(() =>
      store('wait-ok', { status: 'succeeded', result }),
    );

    const settled = await client.waitForResult('wait-ok', { timeoutMs: 20_000, pollIntervalMs: 20 });
    raw.destroy();

    expect({ settled, reads: reads() }).toEqual({
      settled: { id: 'wait-ok', status: 'succeeded', failureAttempts: 0, result },
      reads: 2,
    });
  });

  it('GIVEN an intent not yet taken on that is dead-lettered after the first read WHEN its result is awaited THEN it resolves with the reason', async () => {
    const { client, raw } = clientSettlingAfterFirstRead(() =>
      store('wait-dead', {
        status: 'dead-lettered',
        failureAttempts: 1,
        deadLetterReason: 'rejected',
        lastError: { kind: 'http', status: 422, outreachErrorId: 'validationError' },
      }),
    );

    const settled = await client.waitForResult('wait-dead', { timeoutMs: 20_000, pollIntervalMs: 20 });
    raw.destroy();

    expect(settled).toEqual({
      id: 'wait-dead',
      status: 'dead-lettered',
      failureAttempts: 1,
      deadLetterReason: 'rejected',
      lastError: { kind: 'http', status: 422, outreachErrorId: 'validationError' },
    });
  });

  it('GIVEN an intent that never settles WHEN its result is awaited THEN it rejects naming the id, the wait and that it is still pending', async () => {
    const client = new OutreachGateClient({ laneUrls, tableName, dynamodb: dynamodb.documentClient });

    const error = await client
      .waitForResult('never-sent', { timeoutMs: 300, pollIntervalMs: 50 })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(IntentResultTimeoutError);
    expect((error as Error).message).toMatch(/^intent "never-sent" did not settle within \d+ ms: it is still pending/);
    expect((error as IntentResultTimeoutError).waitedMs).toBeGreaterThanOrEqual(300);
  });

  it('GIVEN an id that is not a valid intent id WHEN its result is awaited THEN it rejects naming the id field', async () => {
    const client = new OutreachGateClient({ laneUrls, tableName, dynamodb: dynamodb.documentClient });

    await expect(client.waitForResult('no spaces', { timeoutMs: 1_000 })).rejects.toThrow(
      new IntentValidationError(
        [
          {
            path: 'id',
            message: "may only contain letters, digits, '-', '_', '.' and ':' (the producer's idempotency key)",
          },
        ],
        'invalid intent id',
      ),
    );
  });

  it('GIVEN a timeout that is not a positive number WHEN a result is awaited THEN it rejects naming timeoutMs and its value', async () => {
    const client = new OutreachGateClient({ laneUrls, tableName, dynamodb: dynamodb.documentClient });

    await expect(client.waitForResult('wait-ok', { timeoutMs: 0 })).rejects.toThrow(
      new OutreachGateClientError('waitForResult: timeoutMs must be a positive number of milliseconds, got 0'),
    );
  });
});
