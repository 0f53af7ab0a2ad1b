import { Metrics } from '@aws-lambda-powertools/metrics';
import { PowertoolsGateMetrics } from '../../lambdas/adapters/powertools-metrics';
import { CREDENTIAL_METRIC, SERVICE_NAME } from '../../lambdas/shared/names';
import { RecordingGateMetrics } from '../../local/recording-metrics';

/** A gate's namespace, as its stack sets it in the functions' environment. */
const NAMESPACE = 'OutreachGate/Sales';

/** Every EMF record written to stdout while `act` runs, parsed. */
function emfRecordsOf(act: () => void): Array<Record<string, unknown>> {
  const lines: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    act();
  } finally {
    spy.mockRestore();
  }
  return lines
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('the credential-health metric', () => {
  it('GIVEN a user paused for a refused refresh token WHEN published through Powertools THEN one EMF record carries the metric with the user and the cause as dimensions', () => {
    const metrics = new PowertoolsGateMetrics(new Metrics({ namespace: NAMESPACE, serviceName: SERVICE_NAME }));

    const records = emfRecordsOf(() => metrics.credentialsPaused('alice', 'invalid-grant'));

    type Metadata = { Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string }> };
    const metadataOf = (r: Record<string, unknown>) =>
      (r._aws as { CloudWatchMetrics: Metadata[] }).CloudWatchMetrics[0];
    expect(
      records.map((r) => {
        const metadata = metadataOf(r);
        return {
          namespace: metadata?.Namespace,
          dimensions: [...(metadata?.Dimensions[0] ?? [])].sort(),
          metrics: (metadata?.Metrics ?? []).map((m) => m.Name),
          user: r.User,
          cause: r.Cause,
          service: r.service,
          value: r[CREDENTIAL_METRIC],
        };
      }),
    ).toEqual([
      {
        namespace: NAMESPACE,
        dimensions: ['Cause', 'User', 'service'],
        metrics: ['CredentialsPaused'],
        user: 'alice',
        cause: 'invalid-grant',
        service: 'outreach-gate-dispatcher',
        value: 1,
      },
    ]);
  });

  it('GIVEN a user whose refresh token is not set WHEN recorded locally THEN it is counted by user and cause', () => {
    const metrics = new RecordingGateMetrics(() => 0);

    metrics.credentialsPaused('bob', 'not-set');
    metrics.credentialsPaused('bob', 'not-set');

    expect([
      metrics.count('credentialsPaused', 'bob:not-set'),
      metrics.count('credentialsPaused', 'bob:invalid-grant'),
    ]).toEqual([2, 0]);
  });
});
