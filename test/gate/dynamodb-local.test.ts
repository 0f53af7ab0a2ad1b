import { DynamoDbLocalError, startDynamoDbLocal } from '../../local/emulators/dynamodb';

describe('startDynamoDbLocal', () => {
  const path = process.env.PATH;
  afterEach(() => {
    process.env.PATH = path;
  });

  it('GIVEN no java on PATH WHEN starting DynamoDB Local THEN it fails saying how to install Java', async () => {
    process.env.PATH = '/nonexistent';
    const outcome = await startDynamoDbLocal().then(
      async (local) => {
        await local.stop();
        return 'started';
      },
      (error: unknown) => error,
    );
    expect(outcome).toBeInstanceOf(DynamoDbLocalError);
    expect((outcome as Error).message).toMatch(/`java` is not on PATH.*apt-get install openjdk-17-jre-headless/);
  });
});
