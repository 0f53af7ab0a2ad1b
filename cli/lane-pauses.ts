import { DynamoDbPumpPauses } from '../lambdas/adapters/dynamodb-pump-pauses';
import type { Lane } from '../lambdas/shared/names';
import type { OperateTarget } from './target';

/**
 * An operator's pause: recorded as the operator's in each lane's pump item first, so the monitor (or, locally,
 * the runner) never resumes it, then the lanes stop receiving.
 */
export async function pauseLanes(target: OperateTarget, lanes: readonly Lane[], now: number): Promise<void> {
  const pauses = new DynamoDbPumpPauses(target.dynamodb, target.tableName);
  for (const lane of lanes) await pauses.hold(lane, now);
  await target.lanesSwitch.pause(lanes);
}

/**
 * An operator's resume: the lanes receive again, then their pause is forgotten, whoever made it (the monitor
 * pauses them again at its next tick if every user they serve still cools down for long).
 */
export async function resumeLanes(target: OperateTarget, lanes: readonly Lane[]): Promise<void> {
  const pauses = new DynamoDbPumpPauses(target.dynamodb, target.tableName);
  await target.lanesSwitch.resume(lanes);
  for (const lane of lanes) await pauses.clear(lane);
}
