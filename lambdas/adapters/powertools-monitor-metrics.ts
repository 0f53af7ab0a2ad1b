import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { UserGauges } from '../monitor/decide';
import type { MonitorMetrics } from '../monitor/ports';
import { DIMENSION, type Lane, METRIC } from '../shared/names';
import { publishSingleMetric } from './powertools-metrics';

/** {@link MonitorMetrics} as CloudWatch EMF through Powertools, one single metric per gauge and dimension. */
export class PowertoolsMonitorMetrics implements MonitorMetrics {
  constructor(private readonly metrics: Metrics) {}

  user(user: string, gauges: UserGauges): void {
    publishSingleMetric(
      this.metrics,
      METRIC.gateCooldownRemaining,
      DIMENSION.user,
      user,
      MetricUnit.Milliseconds,
      gauges.cooldownRemainingMs,
    );
    publishSingleMetric(
      this.metrics,
      METRIC.gateBudgetRemaining,
      DIMENSION.user,
      user,
      MetricUnit.Count,
      gauges.budgetRemaining,
    );
    publishSingleMetric(this.metrics, METRIC.gateInFlight, DIMENSION.user, user, MetricUnit.Count, gauges.inFlight);
    publishSingleMetric(
      this.metrics,
      METRIC.gateCircuitOpen,
      DIMENSION.user,
      user,
      MetricUnit.Count,
      gauges.circuitOpen ? 1 : 0,
    );
  }

  lanePaused(lane: Lane, paused: boolean): void {
    publishSingleMetric(this.metrics, METRIC.lanePaused, DIMENSION.lane, lane, MetricUnit.Count, paused ? 1 : 0);
  }
}
