/**
 * The names of the stack's CloudFormation outputs that tools read (`outreach-gate --stack NAME`), defined once so
 * the stack and its readers cannot drift. These names are stable: renaming one breaks deployed readers.
 */
import { LANES, type Lane } from '../lambdas/shared/names';

function titled(lane: Lane): string {
  return lane.charAt(0).toUpperCase() + lane.slice(1);
}

/** Output names, per lane where the value is per lane. */
export const STACK_OUTPUT = {
  /** URL of a lane's FIFO queue, e.g. `BulkLaneUrl`. */
  laneUrl: (lane: Lane) => `${titled(lane)}LaneUrl`,
  /** ARN of a lane's FIFO queue, e.g. `BulkLaneArn`: what the dispatcher's event source mapping reads. */
  laneArn: (lane: Lane) => `${titled(lane)}LaneArn`,
  /** URL of a lane's dead-letter queue, e.g. `BulkDeadLetterQueueUrl`. */
  deadLetterQueueUrl: (lane: Lane) => `${titled(lane)}DeadLetterQueueUrl`,
  /** The gate table's name. */
  gateTableName: 'GateTableName',
  /** The dispatcher function's name: its event source mappings are the lanes' pumps. */
  dispatcherFunctionName: 'DispatcherFunctionName',
  /** The dispatcher's configuration (users, budget, leases), as JSON: what it runs with. */
  gateConfig: 'GateConfig',
} as const;

/** Every output name above, as the stack creates them and `outreach-gate --stack` requires them. */
export const STACK_OUTPUT_NAMES: readonly string[] = [
  ...LANES.flatMap((lane) => [
    STACK_OUTPUT.laneUrl(lane),
    STACK_OUTPUT.laneArn(lane),
    STACK_OUTPUT.deadLetterQueueUrl(lane),
  ]),
  STACK_OUTPUT.gateTableName,
  STACK_OUTPUT.dispatcherFunctionName,
  STACK_OUTPUT.gateConfig,
];
