import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { CompletionEvent, CompletionEvents } from '../dispatcher/ports';
import { COMPLETION_EVENTS } from '../shared/names';

/** Raised when EventBridge refuses a completion event; the message carries its error code and message. */
export class CompletionEventError extends Error {
  override readonly name = 'CompletionEventError';
}

/**
 * {@link CompletionEvents} on EventBridge: one `PutEvents` entry per event, source `outreach-gate`, on the bus
 * the stack names. PutEvents answers 200 even when it refuses an entry, so a refused entry is thrown here.
 */
export class EventBridgeCompletionEvents implements CompletionEvents {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly eventBus: string,
  ) {}

  async publish(event: CompletionEvent): Promise<void> {
    const { FailedEntryCount, Entries } = await this.client.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: this.eventBus,
            Source: COMPLETION_EVENTS.source,
            DetailType: event.detailType,
            Detail: JSON.stringify(event.detail),
          },
        ],
      }),
    );
    if ((FailedEntryCount ?? 0) > 0) {
      const entry = Entries?.[0];
      throw new CompletionEventError(
        `EventBridge refused the ${event.detailType} event of intent ${event.detail.id}: ${entry?.ErrorCode ?? 'unknown error'} ${entry?.ErrorMessage ?? ''}`.trim(),
      );
    }
  }
}
