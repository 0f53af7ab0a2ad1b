import type { CompletionEvent, CompletionEvents } from '../lambdas/dispatcher/ports';
import type { IamCaller } from './iam/middleware';

/** The ARN of the account's default EventBridge bus in the local account and region. */
export function localDefaultEventBusArn(scope: IamCaller['scope']): string {
  return `arn:aws:events:${scope.region}:${scope.account}:event-bus/default`;
}

/**
 * {@link CompletionEvents} kept in memory for local runs and tests (there is no local EventBridge). With a caller,
 * each publish is first checked, as the `events:PutEvents` on the default bus it would be in AWS, against the
 * policies of the synthesized stack: a dispatcher the stack does not allow to publish fails here as it would there.
 */
export class RecordingCompletionEvents implements CompletionEvents {
  readonly events: CompletionEvent[] = [];
  /** Wall ms each intent's completion event was published, by intent id: when it settled. */
  readonly settledAt = new Map<string, number>();

  constructor(
    private readonly caller?: IamCaller,
    private readonly clock: () => number = Date.now,
  ) {}

  async publish(event: CompletionEvent): Promise<void> {
    if (this.caller) {
      await this.caller.check.authorize(this.caller.principal, [
        { action: 'events:PutEvents', resource: localDefaultEventBusArn(this.caller.scope) },
      ]);
    }
    this.events.push(event);
    if (!this.settledAt.has(event.detail.id)) this.settledAt.set(event.detail.id, this.clock());
  }

  /** How many events were published, by detail-type. */
  countsByDetailType(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const { detailType } of this.events) counts[detailType] = (counts[detailType] ?? 0) + 1;
    return counts;
  }
}
