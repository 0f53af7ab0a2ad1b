import { type CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import type { LaneEndpoints } from '../lambdas/shared/config';
import type { Lane } from '../lambdas/shared/names';
import type { OldestAgeSource } from './target';

/** How far back the oldest age is looked for: SQS publishes its queue metrics every minute. */
export const OLDEST_AGE_WINDOW_MS = 5 * 60_000;

/** A queue's name: the last segment of its URL (what the `QueueName` dimension of AWS/SQS metrics holds). */
export function queueNameOf(queueUrl: string): string {
  return queueUrl.slice(queueUrl.lastIndexOf('/') + 1);
}

/**
 * Each lane's oldest message age from CloudWatch: the newest one-minute Maximum of SQS's
 * `ApproximateAgeOfOldestMessage` in the last five minutes; unknown when there is no datapoint.
 */
export class CloudWatchOldestAge implements OldestAgeSource {
  constructor(
    private readonly cloudwatch: CloudWatchClient,
    private readonly lanes: LaneEndpoints,
    private readonly clock: () => number = Date.now,
  ) {}

  async oldestAgeSeconds(lane: Lane): Promise<number | undefined> {
    const now = this.clock();
    const { MetricDataResults = [] } = await this.cloudwatch.send(
      new GetMetricDataCommand({
        StartTime: new Date(now - OLDEST_AGE_WINDOW_MS),
        EndTime: new Date(now),
        ScanBy: 'TimestampDescending',
        MetricDataQueries: [
          {
            Id: 'oldest',
            MetricStat: {
              Metric: {
                Namespace: 'AWS/SQS',
                MetricName: 'ApproximateAgeOfOldestMessage',
                Dimensions: [{ Name: 'QueueName', Value: queueNameOf(this.lanes[lane].queueUrl) }],
              },
              Period: 60,
              Stat: 'Maximum',
            },
          },
        ],
      }),
    );
    return MetricDataResults[0]?.Values?.[0];
  }
}
