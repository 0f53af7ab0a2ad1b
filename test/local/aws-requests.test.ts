import { iamRequestsOf, UnmappedCallError } from '../../local/iam/aws-requests';

const scope = { account: '000000000000', region: 'us-east-1' };
const table = 'arn:aws:dynamodb:us-east-1:000000000000:table/gate';

describe('the IAM requests an AWS call makes', () => {
  it('GIVEN an SQS batch send to a local queue URL WHEN mapped THEN it is sqs:SendMessage on the queue ARN', () => {
    expect(
      iamRequestsOf(
        'sqs',
        'SendMessageBatchCommand',
        { QueueUrl: 'http://127.0.0.1:4566/000000000000/lane.fifo' },
        scope,
      ),
    ).toEqual([{ action: 'sqs:SendMessage', resource: 'arn:aws:sqs:us-east-1:000000000000:lane.fifo' }]);
  });

  it('GIVEN a DynamoDB GetItem with a marshalled key WHEN mapped THEN it carries the partition key as dynamodb:LeadingKeys', () => {
    expect(
      iamRequestsOf('dynamodb', 'GetItemCommand', { TableName: 'gate', Key: { pk: { S: 'intent#1' } } }, scope),
    ).toEqual([{ action: 'dynamodb:GetItem', resource: table, context: { 'dynamodb:LeadingKeys': ['intent#1'] } }]);
  });

  it('GIVEN a transaction of a put and an update WHEN mapped THEN each item asks for its own action', () => {
    const requests = iamRequestsOf(
      'dynamodb',
      'TransactWriteItemsCommand',
      {
        TransactItems: [
          { Put: { TableName: 'gate', Item: { pk: 'intent#1' } } },
          { Update: { TableName: 'gate', Key: { pk: 'gate#u1' } } },
        ],
      },
      scope,
    );
    expect(requests.map((r) => r.action)).toEqual(['dynamodb:PutItem', 'dynamodb:UpdateItem']);
  });

  it('GIVEN a secret read by name WHEN mapped THEN it is secretsmanager:GetSecretValue on the secret ARN', () => {
    expect(iamRequestsOf('secretsmanager', 'GetSecretValueCommand', { SecretId: 'app' }, scope)).toEqual([
      { action: 'secretsmanager:GetSecretValue', resource: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:app' },
    ]);
  });

  it('GIVEN a DynamoDB operation the check does not know WHEN mapped THEN it fails naming the operation rather than going unchecked', () => {
    expect(() => iamRequestsOf('dynamodb', 'RestoreTableFromBackupCommand', {}, scope)).toThrow(
      new UnmappedCallError('dynamodb RestoreTableFromBackup is not mapped to IAM actions; add it to the check'),
    );
  });
});
