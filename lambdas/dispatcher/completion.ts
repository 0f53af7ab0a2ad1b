import type { Intent } from '../shared/intent';
import type { IntentError, IntentOutcome } from '../shared/intent-record';
import { COMPLETION_EVENTS } from '../shared/names';
import type { CompletionEvent } from './ports';

/**
 * The completion event of an intent whose record was just settled: its id, user and lane, and a summary of the
 * outcome (status, HTTP status, dead-letter reason, Outreach's error id, the resource). Built from these fields
 * only, so nothing of the request body, the result's fields or a token can reach a subscriber. Pure.
 */
export function completionEventOf(
  intent: Pick<Intent, 'id' | 'user' | 'lane'>,
  settled:
    | { readonly status: 'succeeded'; readonly outcome: IntentOutcome }
    | { readonly status: 'dead-lettered'; readonly reason: string; readonly error?: IntentError },
): CompletionEvent {
  const base = { id: intent.id, user: intent.user, lane: intent.lane };
  if (settled.status === 'succeeded') {
    const { httpStatus, resourceType, resourceId } = settled.outcome;
    return {
      detailType: COMPLETION_EVENTS.succeeded,
      detail: {
        ...base,
        outcome: {
          status: 'succeeded',
          httpStatus,
          ...(resourceType === undefined ? {} : { resourceType }),
          ...(resourceId === undefined ? {} : { resourceId }),
        },
      },
    };
  }
  const { error } = settled;
  return {
    detailType: COMPLETION_EVENTS.deadLettered,
    detail: {
      ...base,
      outcome: {
        status: 'dead-lettered',
        reason: settled.reason,
        ...(error?.status === undefined ? {} : { httpStatus: error.status }),
        ...(error?.outreachErrorId === undefined ? {} : { outreachErrorId: error.outreachErrorId }),
      },
    },
  };
}
