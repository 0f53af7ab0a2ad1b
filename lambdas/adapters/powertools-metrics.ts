import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { GateMetrics, MetricSource } from '../dispatcher/ports';
import {
  COMPLETION_EVENTS_FAILED_METRIC,
  type CompletionDetailType,
  CREDENTIAL_METRIC,
  type CredentialCause,
  DIMENSION,
  type Lane,
  METRIC,
} from '../shared/names';

/**
 * {@link GateMetrics} as CloudWatch EMF through Powertools. Metrics with no dimension of their own are buffered
 * and flushed once per invocation; the others are published as single metrics carrying exactly the dimension
 * the dashboard and alarms read (`METRIC_DIMENSION` in names.ts).
 */
export class PowertoolsGateMetrics implements GateMetrics {
  constructor(private readonly metrics: Metrics) {}

  upstream(status: number | 'timeout', latencyMs: number, source: MetricSource): void {
    publishSingleMetric(
      this.metrics,
      METRIC.upstreamCalls,
      DIMENSION.status,
      statusDimension(status),
      MetricUnit.Count,
      1,
    );
    if (status === 429) {
      this.metrics.addMetric(METRIC.upstream429, MetricUnit.Count, 1);
      this.bySource(METRIC.upstream429, source);
    }
    this.metrics.addMetric(METRIC.upstreamLatency, MetricUnit.Milliseconds, latencyMs);
  }

  deferral(reason: string, source: MetricSource): void {
    publishSingleMetric(this.metrics, METRIC.deferrals, DIMENSION.reason, reason, MetricUnit.Count, 1);
    this.bySource(METRIC.deferrals, source);
  }

  /** One count by lane and one by user (when known): the breakdowns `METRIC_BREAKDOWNS` declares. */
  private bySource(name: string, source: MetricSource): void {
    publishSingleMetric(this.metrics, name, DIMENSION.lane, source.lane, MetricUnit.Count, 1);
    if (source.user !== undefined) {
      publishSingleMetric(this.metrics, name, DIMENSION.user, source.user, MetricUnit.Count, 1);
    }
  }

  failure(lane: Lane): void {
    publishSingleMetric(this.metrics, METRIC.failures, DIMENSION.lane, lane, MetricUnit.Count, 1);
  }

  deadLettered(lane: Lane): void {
    publishSingleMetric(this.metrics, METRIC.deadLettered, DIMENSION.lane, lane, MetricUnit.Count, 1);
  }

  succeeded(lane: Lane, queueWaitMs: number): void {
    publishSingleMetric(this.metrics, METRIC.succeeded, DIMENSION.lane, lane, MetricUnit.Count, 1);
    publishSingleMetric(this.metrics, METRIC.queueWait, DIMENSION.lane, lane, MetricUnit.Milliseconds, queueWaitMs);
  }

  inFlight(user: string, count: number): void {
    publishSingleMetric(this.metrics, METRIC.inFlight, DIMENSION.user, user, MetricUnit.Count, count);
  }

  remainingBudget(user: string, remaining: number): void {
    publishSingleMetric(this.metrics, METRIC.remainingBudget, DIMENSION.user, user, MetricUnit.Count, remaining);
  }

  cooldownRemaining(user: string, ms: number): void {
    publishSingleMetric(this.metrics, METRIC.cooldownRemaining, DIMENSION.user, user, MetricUnit.Milliseconds, ms);
  }

  tokenMinted(user: string): void {
    publishSingleMetric(this.metrics, METRIC.tokenMints, DIMENSION.user, user, MetricUnit.Count, 1);
  }

  completionEventFailed(_detailType: CompletionDetailType): void {
    this.metrics.addMetric(COMPLETION_EVENTS_FAILED_METRIC, MetricUnit.Count, 1);
  }

  credentialsPaused(user: string, cause: CredentialCause): void {
    const single = this.metrics.singleMetric();
    single.addDimensions({ [DIMENSION.user]: user, [DIMENSION.cause]: cause });
    single.addMetric(CREDENTIAL_METRIC, MetricUnit.Count, 1);
  }
}

/**
 * Publishes one metric with one dimension (besides the service's) as its own EMF record: the dimension sets the
 * dashboard and alarms read are exactly these.
 */
export function publishSingleMetric(
  metrics: Metrics,
  name: string,
  dimension: string,
  value: string,
  unit: (typeof MetricUnit)[keyof typeof MetricUnit],
  amount: number,
): void {
  const single = metrics.singleMetric();
  single.addDimension(dimension, value);
  single.addMetric(name, unit, amount);
}

/** The `Status` dimension value of an upstream response: 2xx, 429, 4xx, 5xx or timeout. */
export function statusDimension(status: number | 'timeout'): string {
  if (status === 'timeout') return 'timeout';
  if (status === 429) return '429';
  if (status >= 200 && status < 300) return '2xx';
  if (status >= 500) return '5xx';
  return '4xx';
}
