import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  awsClientConfig,
  awsClientTimeouts,
  DEFAULT_AWS_CLIENT_TIMEOUTS,
} from '../../lambdas/shared/aws-client-timeouts';

describe('AWS SDK client timeouts', () => {
  it.each([
    [undefined, DEFAULT_AWS_CLIENT_TIMEOUTS],
    [30, { connectionTimeoutMs: 1000, requestTimeoutMs: 5000 }],
    [12, { connectionTimeoutMs: 1000, requestTimeoutMs: 2000 }],
    [3, { connectionTimeoutMs: 1000, requestTimeoutMs: 1000 }],
  ])('GIVEN a function timeout of %s s WHEN the timeouts are derived THEN they are %j', (seconds, expected) => {
    expect(awsClientTimeouts(seconds)).toEqual(expected);
  });

  it('GIVEN a function timeout that is not positive WHEN the timeouts are derived THEN it fails naming the value', () => {
    expect(() => awsClientTimeouts(0)).toThrow('functionTimeoutSeconds must be a positive number, got 0');
  });

  describe('against a server that accepts requests and never answers', () => {
    let server: Server;
    let endpoint: string;

    beforeAll(async () => {
      server = createServer(() => {
        // never answers
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });

    afterAll(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });

    it('GIVEN a client built with the gate configuration WHEN its request is never answered THEN it fails with a timeout instead of waiting', async () => {
      const sqs = new SQSClient({
        ...awsClientConfig({ connectionTimeoutMs: 1000, requestTimeoutMs: 300 }),
        endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        maxAttempts: 1,
      });
      const error = await sqs
        .send(new GetQueueAttributesCommand({ QueueUrl: `${endpoint}/000000000000/q.fifo` }))
        .catch((e: unknown) => e);
      sqs.destroy();
      expect((error as Error).name).toBe('TimeoutError');
    });
  });
});
