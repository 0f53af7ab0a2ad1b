import type * as events from 'aws-cdk-lib/aws-events';
import { COMPLETION_EVENTS, type CompletionDetailType } from '../../lambdas/shared/names';

/**
 * The event pattern of the gate's completion events, for an EventBridge rule on the bus they go to
 * (`new events.Rule(this, 'Settled', { eventBus, eventPattern: completionEventPattern() })`). Narrow it to one
 * detail-type, e.g. `completionEventPattern(['Intent Dead-lettered'])`.
 */
export function completionEventPattern(
  detailTypes: readonly CompletionDetailType[] = [COMPLETION_EVENTS.succeeded, COMPLETION_EVENTS.deadLettered],
): events.EventPattern {
  return { source: [COMPLETION_EVENTS.source], detailType: [...detailTypes] };
}
