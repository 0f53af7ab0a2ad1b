import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { GateConfig, LaneEndpoints } from '../lambdas/shared/config';
import type { Lane } from '../lambdas/shared/names';

/** Turns lanes' event source mappings off and on: Lambda's mappings in AWS, the runner's control file locally. */
export interface LaneSwitch {
  /** Stops receiving from these lanes. */
  pause(lanes: readonly Lane[]): Promise<void>;
  /** Starts receiving from these lanes again. */
  resume(lanes: readonly Lane[]): Promise<void>;
  /** Whether each lane is receiving now. */
  states(): Promise<Record<Lane, 'receiving' | 'paused'>>;
}

/** Age in seconds of each lane's oldest message, where something publishes it (CloudWatch in AWS). */
export interface OldestAgeSource {
  oldestAgeSeconds(lane: Lane): Promise<number | undefined>;
}

/**
 * Everything the operator commands work against: a deployed stack or a local run. Clients are created once by
 * whoever builds the target and closed by {@link OperateTarget.close}.
 */
export interface OperateTarget {
  /** What the target is, for messages: `stack outreach-gate` or `local run (report/local.json)`. */
  readonly description: string;
  readonly tableName: string;
  readonly lanes: LaneEndpoints;
  /** The dispatcher's configuration: users, budget, leases. */
  readonly config: GateConfig;
  readonly sqs: SQSClient;
  readonly dynamodb: DynamoDBDocumentClient;
  readonly lanesSwitch: LaneSwitch;
  /** @default - oldest age is shown as unknown */
  readonly oldestAge?: OldestAgeSource;
  close(): void;
}

/** Raised when the target cannot be reached or described; the message says what to do. */
export class TargetError extends Error {
  override readonly name = 'TargetError';
}
