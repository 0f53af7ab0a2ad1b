import { optionsFromArgs } from '../../local/outreach-sim/cli';

describe('command-line options', () => {
  test('GIVEN the documented flags WHEN parsed THEN they become simulator options', () => {
    const options = optionsFromArgs([
      '--port',
      '8080',
      '--users',
      'u1,u2',
      '--budget',
      '10000',
      '--window-seconds',
      '3600',
      '--retry-after',
      'epoch',
      '--penalty',
      '--concurrency-cap',
      '4',
      '--latency-ms',
      '50',
    ]);
    expect(options).toEqual({
      port: 8080,
      users: ['u1', 'u2'],
      budget: 10000,
      windowSeconds: 3600,
      retryAfter: 'epoch',
      penalty: { enabled: true },
      concurrencyCap: 4,
      faults: { latencyMs: 50 },
    });
  });

  test('GIVEN --config JSON WHEN parsed THEN it is merged into the groups', () => {
    const options = optionsFromArgs(['--latency-ms', '5', '--config', '{"faults":{"slowRate":0.5}}']);
    expect(options).toMatchObject({ faults: { latencyMs: 5, slowRate: 0.5 } });
  });

  test('GIVEN an unknown flag WHEN parsed THEN it is refused', () => {
    expect(() => optionsFromArgs(['--budgte', '5'])).toThrow();
  });
});
