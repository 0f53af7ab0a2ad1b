import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { parseIntent } from '../../lambdas/shared/intent';
import { IntentRecordError, newIntentRecord, toIntentRecordItem } from '../../lambdas/shared/intent-record';
import { IntentValidationError, OutreachGateClient, OutreachGateClientError } from '../../lib/client';

const NOW = Date.UTC(2030, 0, 1);
const laneUrls = {
  critical: 'https://q/critical.fifo',
  standard: 'https://q/standard.fifo',
  bulk: 'https://q/bulk.fifo',
};

const intent = parseIntent({
  v: 1,
  id: 'crm:order-7',
  user: 'u1',
  lane: 'standard',
  operation: { type: 'sequenceState.create', prospectId: 7, sequenceId: 3, mailboxId: 1 },
});

describe('OutreachGateClient.getResult', () => {
  const documents = mockClient(DynamoDBDocumentClient);
  const dynamodb = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
  const sqs = new SQSClient({ region: 'us-east-1' });
  const client = new OutreachGateClient({ laneUrls, tableName: 'gate-table', sqs, dynamodb });

  beforeEach(() => documents.reset());

  it('GIVEN an intent id WHEN its result is read THEN the intent record is read consistently from the gate table', async () => {
    documents.on(GetCommand).resolves({});

    await client.getResult('crm:order-7');

    expect(documents).toHaveReceivedCommandWith(GetCommand, {
      TableName: 'gate-table',
      Key: { pk: 'intent#crm:order-7' },
      ConsistentRead: true,
    });
  });

  it('GIVEN no record WHEN the result is read THEN the intent is pending', async () => {
    documents.on(GetCommand).resolves({});

    expect(await client.getResult('crm:order-7')).toEqual({ id: 'crm:order-7', status: 'pending', failureAttempts: 0 });
  });

  it('GIVEN a succeeded record WHEN the result is read THEN the stored result is returned', async () => {
    const result = { httpStatus: 201, resourceType: 'sequenceState', resourceId: 55 };
    documents.on(GetCommand).resolves({
      Item: toIntentRecordItem({ ...newIntentRecord(intent, NOW, 3600), status: 'succeeded', result }),
    });

    expect(await client.getResult('crm:order-7')).toEqual({
      id: 'crm:order-7',
      status: 'succeeded',
      failureAttempts: 0,
      result,
    });
  });

  it('GIVEN a dead-lettered record WHEN the result is read THEN the reason is returned', async () => {
    documents.on(GetCommand).resolves({
      Item: toIntentRecordItem({
        ...newIntentRecord(intent, NOW, 3600),
        status: 'dead-lettered',
        failureAttempts: 5,
        deadLetterReason: 'attempts-exhausted',
      }),
    });

    expect(await client.getResult('crm:order-7')).toMatchObject({
      status: 'dead-lettered',
      failureAttempts: 5,
      deadLetterReason: 'attempts-exhausted',
    });
  });

  it('GIVEN a malformed record WHEN the result is read THEN an IntentRecordError names the bad attribute', async () => {
    documents
      .on(GetCommand)
      .resolves({ Item: { ...toIntentRecordItem(newIntentRecord(intent, NOW, 3600)), status: 'done' } });

    await expect(client.getResult('crm:order-7')).rejects.toThrow(IntentRecordError);
    await expect(client.getResult('crm:order-7')).rejects.toThrow(/status: must be one of in-progress/);
  });

  it('GIVEN DynamoDB fails WHEN the result is read THEN the error names the intent', async () => {
    documents.on(GetCommand).rejects(new Error('throttled'));

    const read = client.getResult('crm:order-7');

    await expect(read).rejects.toThrow(OutreachGateClientError);
    await expect(read).rejects.toThrow('could not read the result of intent "crm:order-7": Error: throttled');
  });

  it('GIVEN an id that could never be an intent id WHEN its result is read THEN it is refused before any read', async () => {
    await expect(client.getResult('a b')).rejects.toThrow(IntentValidationError);
    expect(documents).not.toHaveReceivedCommand(GetCommand);
  });

  it('GIVEN a plain DynamoDB client WHEN the result is read THEN it is read through a document client', async () => {
    documents.on(GetCommand).resolves({});
    const plain = new OutreachGateClient({ laneUrls, tableName: 'gate-table', sqs, dynamodb: new DynamoDBClient({}) });

    await plain.getResult('crm:order-7');

    expect(documents).toHaveReceivedCommandTimes(GetCommand, 1);
  });
});

describe('OutreachGateClient options', () => {
  it.each([
    ['a missing lane URL', 'laneUrls.bulk', { laneUrls: { critical: 'a', standard: 'b' }, tableName: 't' }],
    ['an empty lane URL', 'laneUrls.critical', { laneUrls: { ...laneUrls, critical: ' ' }, tableName: 't' }],
    ['no table name', 'tableName', { laneUrls, tableName: '' }],
  ])('GIVEN %s WHEN the client is created THEN it is refused naming %s', (_, name, options) => {
    expect(() => new OutreachGateClient(options as never)).toThrow(
      expect.objectContaining({ name: 'OutreachGateClientError', message: expect.stringContaining(name) }),
    );
  });
});
