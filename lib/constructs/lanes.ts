import { Duration } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { LANES, type Lane } from '../../lambdas/shared/names';
import { type LaneSettings, SQS_LIMITS } from '../settings';

/** Properties of {@link Lanes}. */
export interface LanesProps {
  /** Each lane's resolved settings (from `resolveGateSettings`). */
  readonly lanes: Readonly<Record<Lane, LaneSettings>>;
}

/**
 * The priority lanes: one SQS FIFO queue per lane, each with its own FIFO dead-letter queue. Encrypted, TLS
 * only, high-throughput FIFO (de-duplication and throughput per message group), kept for SQS's maximum
 * retention so waiting never expires an intent. `maxReceiveCount` stays high because deferrals are receives
 * too; the dispatcher moves real failures to the dead-letter queue itself.
 */
export class Lanes extends Construct {
  /** The lane queues, by lane. */
  public readonly queues: Readonly<Record<Lane, sqs.Queue>>;
  /** Each lane's dead-letter queue, by lane. */
  public readonly deadLetterQueues: Readonly<Record<Lane, sqs.Queue>>;

  constructor(scope: Construct, id: string, props: LanesProps) {
    super(scope, id);
    const queues: Partial<Record<Lane, sqs.Queue>> = {};
    const deadLetterQueues: Partial<Record<Lane, sqs.Queue>> = {};
    for (const lane of LANES) {
      const settings = props.lanes[lane];
      const fifo = {
        fifo: true,
        contentBasedDeduplication: false,
        deduplicationScope: sqs.DeduplicationScope.MESSAGE_GROUP,
        fifoThroughputLimit: sqs.FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.seconds(settings.retentionSeconds),
      } as const;
      const deadLetterQueue = new sqs.Queue(this, `${capitalise(lane)}DeadLetterQueue`, {
        ...fifo,
        maxMessageSizeBytes: SQS_LIMITS.deadLetterMaxMessageBytes,
      });
      deadLetterQueues[lane] = deadLetterQueue;
      queues[lane] = new sqs.Queue(this, `${capitalise(lane)}Queue`, {
        ...fifo,
        maxMessageSizeBytes: SQS_LIMITS.laneMaxMessageBytes,
        visibilityTimeout: Duration.seconds(settings.visibilityTimeoutSeconds),
        deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: settings.maxReceiveCount },
      });
    }
    this.queues = queues as Record<Lane, sqs.Queue>;
    this.deadLetterQueues = deadLetterQueues as Record<Lane, sqs.Queue>;
  }

  /** Lets a producer send intents to every lane, and nothing else. */
  public grantEnqueue(grantee: iam.IGrantable): iam.Grant {
    return LANES.map((lane) => this.queues[lane].grant(grantee, 'sqs:SendMessage')).reduce((all, one) =>
      all.combine(one),
    );
  }
}

/** `critical` → `Critical`, for construct ids. */
export function capitalise(value: string): string {
  return value.charAt(0).toUpperCase() + value.slice(1);
}
