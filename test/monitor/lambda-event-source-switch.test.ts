import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LambdaEventSourceSwitch, LaneSwitchError } from '../../lambdas/adapters/lambda-event-source-switch';

describe('LambdaEventSourceSwitch against a Lambda API endpoint on loopback', () => {
  let server: Server;
  let endpoint: string;

  beforeAll(async () => {
    server = createServer((request, response) => {
      request.resume();
      request.on('end', () =>
        response
          .writeHead(404, { 'content-type': 'application/json' })
          .end('{"Type":"User","message":"The resource you requested does not exist."}'),
      );
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.close();
    await once(server, 'close');
  });

  it('GIVEN Lambda refuses the update WHEN a lane is paused THEN the error names the mapping, the change and Lambda’s answer', async () => {
    const lanes = new LambdaEventSourceSwitch({
      mappings: { critical: [], standard: [], bulk: ['gone-mapping'] },
      region: 'eu-west-1',
      endpoint,
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
    });
    const failure = lanes.setEnabled('bulk', false);
    await expect(failure).rejects.toThrow(LaneSwitchError);
    await expect(failure).rejects.toThrow(
      'UpdateEventSourceMapping gone-mapping (Enabled=false) failed: 404 {"Type":"User","message":"The resource you requested does not exist."}',
    );
  });

  it('GIVEN an empty region THEN construction fails naming it', () => {
    expect(
      () => new LambdaEventSourceSwitch({ mappings: { critical: [], standard: [], bulk: [] }, region: ' ' }),
    ).toThrow('region must not be empty');
  });
});
