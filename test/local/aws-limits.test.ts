import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type IntentRecord, MAX_RESULT_SUMMARY_BYTES, toIntentRecordItem } from '../../lambdas/shared/intent-record';
import { DYNAMODB_MAX_ITEM_BYTES, dynamodbItemBytes } from '../../local/limits/dynamodb-item-size';
import { enforceSqsLimits, SQS_REQUEST_LIMITS, sqsLimitViolation } from '../../local/limits/sqs-limits';

const entries = (count: number, body = 'x') =>
  Array.from({ length: count }, (_, i) => ({ Id: String(i), MessageBody: body, MessageGroupId: 'g' }));

describe("SQS's request limits on the local clients", () => {
  it('GIVEN a batch of 10 entries WHEN checked THEN it is within the limits', () => {
    expect(sqsLimitViolation('SendMessageBatch', { Entries: entries(10) })).toBeUndefined();
  });

  it('GIVEN a batch of 11 entries WHEN checked THEN it is refused as SQS refuses it, naming 11 and the limit of 10', () => {
    const violation = sqsLimitViolation('DeleteMessageBatch', { Entries: entries(11) });
    expect({ name: violation?.name, message: violation?.message }).toEqual({
      name: 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
      message: 'DeleteMessageBatch carries 11 entries; SQS allows 10 per batch request',
    });
  });

  it('GIVEN a message one byte over 256 KiB WHEN checked THEN it is refused naming its size and the limit', () => {
    const violation = sqsLimitViolation('SendMessage', {
      MessageBody: 'x'.repeat(SQS_REQUEST_LIMITS.messageBytes + 1),
    });
    expect(violation?.message).toBe(
      'SendMessage: a message of 262145 bytes (body and attributes); SQS allows 262144 (256 KiB)',
    );
  });

  it('GIVEN two messages of 150 KB in one batch WHEN checked THEN the batch is refused as too long', () => {
    const violation = sqsLimitViolation('SendMessageBatch', { Entries: entries(2, 'x'.repeat(150_000)) });
    expect(violation?.name).toBe('AWS.SimpleQueueService.BatchRequestTooLong');
  });

  it('GIVEN a client with the limits enforced WHEN it sends 11 entries THEN the call fails before anything is sent', async () => {
    let sent = 0;
    const sqs = enforceSqsLimits(
      new SQSClient({
        region: 'us-east-1',
        endpoint: 'http://127.0.0.1:9',
        credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      }),
    );
    sqs.middlewareStack.add(
      (next) => async (args) => {
        sent += 1;
        return next(args);
      },
      { step: 'finalizeRequest', name: 'countSent' },
    );
    const error = await sqs
      .send(new SendMessageBatchCommand({ QueueUrl: 'http://127.0.0.1:9/000000000000/q.fifo', Entries: entries(11) }))
      .catch((e: unknown) => e as Error);
    sqs.destroy();
    expect({ name: (error as Error).name, sent }).toEqual({
      name: 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
      sent: 0,
    });
  });
});

describe("DynamoDB's 400 KB item limit and the intent record", () => {
  it('GIVEN the largest intent record the dispatcher writes WHEN sized as DynamoDB sizes it THEN it stays far below 400 KB', () => {
    // The longest id and user, a summary at its bound in 4-byte characters, and the longest error detail.
    const summary = { text: '😀'.repeat(Math.floor((MAX_RESULT_SUMMARY_BYTES - 20) / 4)) };
    const record: IntentRecord = {
      pk: `intent#${'😀'.repeat(128)}`,
      status: 'dead-lettered',
      lane: 'standard',
      user: 'u'.repeat(64),
      operationType: 'batch.prospectsAddToSequence',
      result: { httpStatus: 422, resourceType: 'prospect', resourceId: 123_456_789, summary },
      failureAttempts: 100,
      lastError: { kind: 'http', status: 422, outreachErrorId: 'validationError', detail: `${'😀'.repeat(500)}…` },
      deadLetterReason: 'attempts-exhausted',
      createdAt: Date.now(),
      updatedAt: Date.now(),
      expiresAt: Math.ceil(Date.now() / 1000),
    };
    const bytes = dynamodbItemBytes(toIntentRecordItem(record));
    console.log(`largest intent record: ${bytes} bytes of ${DYNAMODB_MAX_ITEM_BYTES}`);
    expect(bytes).toBeLessThan(DYNAMODB_MAX_ITEM_BYTES / 10);
  });

  it('GIVEN an item with a string of 400 KB WHEN sized THEN it counts over the limit', () => {
    expect(dynamodbItemBytes({ pk: 'k', big: 'x'.repeat(DYNAMODB_MAX_ITEM_BYTES) })).toBeGreaterThan(
      DYNAMODB_MAX_ITEM_BYTES,
    );
  });
});
