import {
  type EventSourceMappingConfiguration,
  type LambdaClient,
  paginateListEventSourceMappings,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import type { LaneEndpoints } from '../lambdas/shared/config';
import { LANES, type Lane } from '../lambdas/shared/names';
import { type LaneSwitch, TargetError } from './target';

/** Mapping states in which a mapping is off or turning off. */
const OFF_STATES = new Set(['Disabled', 'Disabling']);

/**
 * Pauses and resumes a deployed stack's lanes by disabling and enabling the dispatcher's event source mappings
 * whose source is the lane's queue. A disabled mapping makes no receives and no invocations.
 */
export class EventSourceMappingSwitch implements LaneSwitch {
  constructor(
    private readonly lambda: LambdaClient,
    private readonly functionName: string,
    private readonly lanes: LaneEndpoints,
  ) {}

  async pause(lanes: readonly Lane[]): Promise<void> {
    await this.setEnabled(lanes, false);
  }

  async resume(lanes: readonly Lane[]): Promise<void> {
    await this.setEnabled(lanes, true);
  }

  async states(): Promise<Record<Lane, 'receiving' | 'paused'>> {
    const mappings = await this.mappingsByLane();
    return Object.fromEntries(
      LANES.map((lane) => [
        lane,
        mappings[lane].every((mapping) => OFF_STATES.has(mapping.State ?? '')) ? 'paused' : 'receiving',
      ]),
    ) as Record<Lane, 'receiving' | 'paused'>;
  }

  private async setEnabled(lanes: readonly Lane[], enabled: boolean): Promise<void> {
    const mappings = await this.mappingsByLane();
    for (const lane of lanes) {
      if (mappings[lane].length === 0) {
        throw new TargetError(
          `function ${this.functionName} has no event source mapping for the ${lane} lane (${this.lanes[lane].queueArn})`,
        );
      }
    }
    for (const lane of lanes) {
      for (const mapping of mappings[lane]) {
        await this.lambda.send(new UpdateEventSourceMappingCommand({ UUID: mapping.UUID, Enabled: enabled }));
      }
    }
  }

  /** The function's mappings grouped by the lane whose queue they read; mappings of other sources are ignored. */
  private async mappingsByLane(): Promise<Record<Lane, EventSourceMappingConfiguration[]>> {
    const byLane = Object.fromEntries(LANES.map((lane) => [lane, []])) as unknown as Record<
      Lane,
      EventSourceMappingConfiguration[]
    >;
    for await (const page of paginateListEventSourceMappings(
      { client: this.lambda },
      { FunctionName: this.functionName },
    )) {
      for (const mapping of page.EventSourceMappings ?? []) {
        const lane = LANES.find((each) => this.lanes[each].queueArn === mapping.EventSourceArn);
        if (lane !== undefined) byLane[lane].push(mapping);
      }
    }
    return byLane;
  }
}
