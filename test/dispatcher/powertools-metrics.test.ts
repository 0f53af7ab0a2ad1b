import { Metrics } from '@aws-lambda-powertools/metrics';
import { PowertoolsGateMetrics } from '../../lambdas/adapters/powertools-metrics';
import { METRIC, metricDimensionSets, SERVICE_NAME } from '../../lambdas/shared/names';

/** A gate's namespace, as its stack sets it in the functions' environment. */
const NAMESPACE = 'OutreachGate/Sales';

/** The EMF records Powertools writes while `act` runs: each metric name with the dimension sets it carries. */
function publishedWhile(act: (metrics: PowertoolsGateMetrics) => void): { name: string; dimensions: string[] }[] {
  const lines: string[] = [];
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    const metrics = new Metrics({ namespace: NAMESPACE, serviceName: SERVICE_NAME });
    act(new PowertoolsGateMetrics(metrics));
    metrics.publishStoredMetrics();
  } finally {
    write.mockRestore();
  }
  return lines
    .flatMap((line) => line.split('\n'))
    .filter((line) => line.includes('"_aws"'))
    .flatMap((line) => {
      const record = JSON.parse(line) as {
        _aws: { CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string }[] }[] };
      };
      return record._aws.CloudWatchMetrics.flatMap((directive) =>
        directive.Metrics.map((metric) => ({
          name: metric.Name,
          dimensions: (directive.Dimensions[0] ?? []).filter((d) => d !== 'service'),
        })),
      );
    });
}

describe('PowertoolsGateMetrics', () => {
  it('GIVEN a 429 for u1 on the bulk lane WHEN published THEN Upstream429 is counted alone, by lane and by user, as names.ts declares', () => {
    const records = publishedWhile((metrics) => metrics.upstream(429, 12, { lane: 'bulk', user: 'u1' }));
    const sets = (list: readonly (string | null | undefined)[]) => list.map((d) => d ?? '(service only)').sort();
    expect(sets(records.filter((r) => r.name === METRIC.upstream429).map((r) => r.dimensions[0]))).toEqual(
      sets(metricDimensionSets('upstream429')),
    );
  });

  it('GIVEN a 200 WHEN published THEN no 429 is counted', () => {
    const records = publishedWhile((metrics) => metrics.upstream(200, 12, { lane: 'bulk', user: 'u1' }));
    expect(records.filter((r) => r.name === METRIC.upstream429)).toEqual([]);
  });

  it('GIVEN a deferral for u1 on the standard lane WHEN published THEN it is counted by reason, by lane and by user', () => {
    const records = publishedWhile((metrics) => metrics.deferral('cooldown', { lane: 'standard', user: 'u1' }));
    expect(records.filter((r) => r.name === METRIC.deferrals).map((r) => r.dimensions[0])).toEqual(
      metricDimensionSets('deferrals'),
    );
  });

  it('GIVEN a deferral whose user is unknown WHEN published THEN it is counted by reason and by lane only', () => {
    const records = publishedWhile((metrics) => metrics.deferral('time', { lane: 'critical' }));
    expect(records.filter((r) => r.name === METRIC.deferrals).map((r) => r.dimensions[0])).toEqual(['Reason', 'Lane']);
  });
});
