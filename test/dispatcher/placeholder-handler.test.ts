import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { handler } from '../../lambdas/dispatcher/handler';

function record(messageId: string): SQSRecord {
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body: '{}',
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '0',
      SenderId: 'test',
      ApproximateFirstReceiveTimestamp: '0',
      MessageGroupId: 'g',
      MessageDeduplicationId: messageId,
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:bulk.fifo',
    awsRegion: 'us-east-1',
  };
}

describe('dispatcher handler (not yet processing)', () => {
  it('GIVEN a batch WHEN handled THEN every record is reported failed so SQS deletes none of them', async () => {
    const event: SQSEvent = { Records: [record('a'), record('b')] };
    await expect(handler(event)).resolves.toEqual({
      batchItemFailures: [{ itemIdentifier: 'a' }, { itemIdentifier: 'b' }],
    });
  });
});
