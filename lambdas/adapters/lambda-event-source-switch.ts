import { type LambdaClient, UpdateEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import type { LaneSwitch } from '../monitor/ports';
import type { Lane } from '../shared/names';

/** Raised when Lambda refuses to change a mapping; the message names the mapping, the change and Lambda's answer. */
export class LaneSwitchError extends Error {
  override readonly name = 'LaneSwitchError';
}

/**
 * {@link LaneSwitch} over Lambda's UpdateEventSourceMapping. A disabled mapping makes no receives and no
 * invocations; enabling it resumes the lane. The client is the caller's, created once.
 */
export class LambdaEventSourceSwitch implements LaneSwitch {
  /** @param mappings the event source mapping ids (UUIDs) of each lane */
  constructor(
    private readonly lambda: LambdaClient,
    private readonly mappings: Readonly<Record<Lane, readonly string[]>>,
  ) {}

  async setEnabled(lane: Lane, enabled: boolean): Promise<void> {
    const ids = this.mappings[lane];
    if (ids === undefined) throw new LaneSwitchError(`no event source mappings known for lane "${lane}"`);
    for (const id of ids) await this.update(id, enabled);
  }

  private async update(id: string, enabled: boolean): Promise<void> {
    try {
      await this.lambda.send(new UpdateEventSourceMappingCommand({ UUID: id, Enabled: enabled }));
    } catch (error) {
      throw new LaneSwitchError(`UpdateEventSourceMapping ${id} (Enabled=${enabled}) failed: ${lambdaAnswer(error)}`, {
        cause: error,
      });
    }
  }
}

/** Lambda's answer in one line: the error's name, HTTP status when known, and message. */
function lambdaAnswer(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return `${error.name}${status === undefined ? '' : ` (${status})`}: ${error.message}`;
}
