import { GetQueueAttributesCommand, type QueueAttributeName, type SQSClient } from '@aws-sdk/client-sqs';
import type { LaneEndpoints } from '../lambdas/shared/config';
import { LANES, type Lane } from '../lambdas/shared/names';
import type { LaneSwitch, OldestAgeSource } from './target';

/** One lane as on-call sees it. */
export interface LaneStatus {
  readonly lane: Lane;
  /** Messages waiting to be received (ApproximateNumberOfMessages plus those delayed). */
  readonly depth: number;
  /** Messages received and not yet deleted or released (ApproximateNumberOfMessagesNotVisible). */
  readonly inFlight: number;
  /** Age of the oldest message in seconds, where a metric source knows it. */
  readonly oldestAgeSeconds: number | undefined;
  /** Messages on the lane's dead-letter queue. */
  readonly deadLetters: number;
  /** Whether the lane's event source mappings are receiving. */
  readonly receiving: 'receiving' | 'paused';
}

async function counts(sqs: SQSClient, queueUrl: string): Promise<{ visible: number; notVisible: number }> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  const read = (name: QueueAttributeName) => Number(Attributes[name] ?? 0) || 0;
  return {
    visible: read('ApproximateNumberOfMessages') + read('ApproximateNumberOfMessagesDelayed'),
    notVisible: read('ApproximateNumberOfMessagesNotVisible'),
  };
}

/** Reads every lane's queue and dead-letter queue counts, and whether it is receiving. */
export async function readLaneStatus(
  sqs: SQSClient,
  lanes: LaneEndpoints,
  lanesSwitch: LaneSwitch,
  oldestAge?: OldestAgeSource,
): Promise<LaneStatus[]> {
  const states = await lanesSwitch.states();
  return Promise.all(
    LANES.map(async (lane) => {
      const [queue, deadLetters, oldestAgeSeconds] = await Promise.all([
        counts(sqs, lanes[lane].queueUrl),
        counts(sqs, lanes[lane].deadLetterQueueUrl),
        oldestAge?.oldestAgeSeconds(lane),
      ]);
      return {
        lane,
        depth: queue.visible,
        inFlight: queue.notVisible,
        oldestAgeSeconds,
        deadLetters: deadLetters.visible + deadLetters.notVisible,
        receiving: states[lane],
      };
    }),
  );
}
