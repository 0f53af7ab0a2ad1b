import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { type IntentInput, OutreachGateClient, PRECEDING_INTENT_FAILED } from '../../lib/client';

/**
 * Per-entry failures inside a SendMessageBatch response cannot be provoked in the emulator on demand, so SQS is
 * mocked here at the SDK boundary; what is under test is how the client reports them.
 */
describe('OutreachGateClient.enqueueMany partial failures', () => {
  const sqsMock = mockClient(SQSClient);
  const laneUrls = {
    critical: 'https://q/critical.fifo',
    standard: 'https://q/standard.fifo',
    bulk: 'https://q/bulk.fifo',
  };
  const client = new OutreachGateClient({
    laneUrls,
    tableName: 'gate',
    sqs: new SQSClient({ region: 'us-east-1' }),
    dynamodb: new DynamoDBClient({ region: 'us-east-1' }),
  });

  beforeEach(() => sqsMock.reset());

  const update = (id: string, prospectId: number): IntentInput => ({
    id,
    user: 'u1',
    lane: 'standard',
    operation: { type: 'prospect.update', prospectId, attributes: { title: 'CTO' } },
  });

  it('GIVEN SQS refuses one entry of a batch WHEN intents are enqueued THEN that intent is reported failed with SQS’s code and the rest sent', async () => {
    sqsMock.on(SendMessageBatchCommand).resolves({
      Successful: [
        { Id: '0', MessageId: 'm0', MD5OfMessageBody: '', SequenceNumber: '1' },
        { Id: '2', MessageId: 'm2', MD5OfMessageBody: '', SequenceNumber: '2' },
      ],
      Failed: [{ Id: '1', Code: 'InternalError', Message: 'try again', SenderFault: false }],
    });

    const result = await client.enqueueMany([update('a', 1), update('b', 2), update('c', 3)]);

    expect(result).toEqual({
      sent: [
        { id: 'a', messageId: 'm0', lane: 'standard', messageGroupId: 'u1:prospect:1' },
        { id: 'c', messageId: 'm2', lane: 'standard', messageGroupId: 'u1:prospect:3' },
      ],
      failed: [{ id: 'b', code: 'InternalError', message: 'try again', senderFault: false }],
    });
  });

  it('GIVEN SQS answers for only some entries WHEN intents are enqueued THEN the unanswered ones are reported failed, not dropped', async () => {
    sqsMock.on(SendMessageBatchCommand).resolves({
      Successful: [{ Id: '0', MessageId: 'm0', MD5OfMessageBody: '', SequenceNumber: '1' }],
      Failed: [],
    });

    const result = await client.enqueueMany([update('a', 1), update('b', 2)]);

    expect(result.failed).toEqual([
      { id: 'b', code: 'MissingFromResponse', message: expect.any(String), senderFault: false },
    ]);
  });

  it('GIVEN an intent of a message group failed in an earlier batch WHEN later intents of that group follow THEN they are held back so a retry keeps the order', async () => {
    const intents = Array.from({ length: 11 }, (_, i) => update(`i-${i}`, i === 10 ? 1 : 100 + i));
    intents[0] = update('i-0', 1);
    sqsMock
      .on(SendMessageBatchCommand)
      .resolvesOnce({
        Successful: Array.from({ length: 9 }, (_, i) => ({
          Id: String(i + 1),
          MessageId: `m${i + 1}`,
          MD5OfMessageBody: '',
          SequenceNumber: String(i + 1),
        })),
        Failed: [{ Id: '0', Code: 'InternalError', Message: 'try again', SenderFault: false }],
      })
      .resolves({ Successful: [], Failed: [] });

    const result = await client.enqueueMany(intents);

    expect(result.failed.map(({ id, code }) => ({ id, code }))).toEqual([
      { id: 'i-0', code: 'InternalError' },
      { id: 'i-10', code: PRECEDING_INTENT_FAILED },
    ]);
    expect(sqsMock).toHaveReceivedCommandTimes(SendMessageBatchCommand, 1);
  });

  it('GIVEN a whole batch request fails WHEN intents are enqueued THEN each of its intents is reported with the error', async () => {
    sqsMock
      .on(SendMessageBatchCommand)
      .rejects(Object.assign(new Error('access denied'), { name: 'AccessDenied', $fault: 'client' }));

    const result = await client.enqueueMany([update('a', 1), update('b', 2)]);

    expect(result.sent).toEqual([]);
    expect(result.failed).toEqual([
      { id: 'a', code: 'AccessDenied', message: 'access denied', senderFault: true },
      { id: 'b', code: 'AccessDenied', message: 'access denied', senderFault: true },
    ]);
  });
});
