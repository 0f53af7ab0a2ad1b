import { readLaneStatus } from './lane-status';
import type { StatusReport } from './status-format';
import type { OperateTarget } from './target';
import { readUserStatus } from './user-status';

/** Reads the whole status of a target at `clock()`. */
export async function readStatus(target: OperateTarget, clock: () => number = Date.now): Promise<StatusReport> {
  const [lanes, users] = await Promise.all([
    readLaneStatus(target.sqs, target.lanes, target.lanesSwitch, target.oldestAge),
    readUserStatus(target.dynamodb, target.tableName, target.config, clock),
  ]);
  return { at: clock(), target: target.description, lanes, users };
}
