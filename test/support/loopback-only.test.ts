import * as https from 'node:https';
import * as net from 'node:net';

describe('tests stay on this machine', () => {
  it('GIVEN a test WHEN it connects to a host outside the machine THEN the connection is refused, naming the host', () => {
    // WHEN: the same call the AWS SDK's HTTPS handler makes, to a regional AWS endpoint
    const reach = () => https.request('https://dynamodb.eu-west-1.amazonaws.com/').end();
    // THEN
    expect(reach).toThrow('a test tried to reach dynamodb.eu-west-1.amazonaws.com:443');
  });

  it('GIVEN a server on loopback WHEN a test connects to it THEN the connection is made', async () => {
    // GIVEN
    const server = net.createServer((socket) => socket.end('hello'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    // WHEN
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.on('data', (data) => resolve(String(data)));
      socket.on('error', reject);
    });
    await new Promise((resolve) => server.close(resolve));
    // THEN
    expect(answer).toBe('hello');
  });
});
