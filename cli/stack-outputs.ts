import { type CloudFormationClient, DescribeStacksCommand, type Stack } from '@aws-sdk/client-cloudformation';
import { type GateConfig, type LaneEndpoints, parseGateConfig } from '../lambdas/shared/config';
import { LANES } from '../lambdas/shared/names';
import { STACK_OUTPUT } from '../lib/stack-outputs';
import { TargetError } from './target';

/** What the operator commands read from a deployed stack's outputs. */
export interface StackDescription {
  readonly tableName: string;
  /** The dispatcher function, whose event source mappings are the lanes' pumps. */
  readonly functionName: string;
  readonly lanes: LaneEndpoints;
  readonly config: GateConfig;
}

/** Reads a stack's outputs by name; a stack that does not exist is a {@link TargetError} naming it. */
export async function readStackOutputs(
  cloudformation: CloudFormationClient,
  stackName: string,
): Promise<Readonly<Record<string, string>>> {
  let stack: Stack | undefined;
  try {
    stack = (await cloudformation.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks?.[0];
  } catch (error) {
    throw new TargetError(`cannot describe stack "${stackName}": ${(error as Error).message}`, { cause: error });
  }
  if (stack === undefined) throw new TargetError(`stack "${stackName}" does not exist`);
  return Object.fromEntries(
    (stack.Outputs ?? []).flatMap((output) =>
      output.OutputKey === undefined || output.OutputValue === undefined
        ? []
        : [[output.OutputKey, output.OutputValue]],
    ),
  );
}

/**
 * What the operator commands need from a stack's outputs (names in lib/stack-outputs.ts). A missing output is a
 * {@link TargetError} naming it: the stack was deployed by a version of outreach-gate that did not have it.
 */
export function describeStack(stackName: string, outputs: Readonly<Record<string, string>>): StackDescription {
  const output = (name: string): string => {
    const value = outputs[name];
    if (value === undefined || value === '') {
      throw new TargetError(
        `stack "${stackName}" has no output "${name}"; deploy this version of outreach-gate to the stack first`,
      );
    }
    return value;
  };
  const lanes = Object.fromEntries(
    LANES.map((lane) => [
      lane,
      {
        queueUrl: output(STACK_OUTPUT.laneUrl(lane)),
        queueArn: output(STACK_OUTPUT.laneArn(lane)),
        deadLetterQueueUrl: output(STACK_OUTPUT.deadLetterQueueUrl(lane)),
      },
    ]),
  ) as StackDescription['lanes'];
  let config: StackDescription['config'];
  try {
    config = parseGateConfig(JSON.parse(output(STACK_OUTPUT.gateConfig)));
  } catch (error) {
    if (error instanceof TargetError) throw error;
    throw new TargetError(
      `stack "${stackName}" output "${STACK_OUTPUT.gateConfig}" is not a gate configuration: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return {
    tableName: output(STACK_OUTPUT.gateTableName),
    functionName: output(STACK_OUTPUT.dispatcherFunctionName),
    lanes,
    config,
  };
}
