/** The producer client: what services use to hand intents to the gate and read their outcomes. */
export {
  defaultMessageGroupId,
  type Intent,
  type IntentIssue,
  IntentValidationError,
  MAX_INTENT_BYTES,
  type Operation,
  type OperationType,
  parseIntent,
  safeParseIntent,
  upstreamRequestsFor,
} from '../../lambdas/shared/intent';
export { MAX_DEADLINE_AHEAD_MS, MAX_INTENT_DEPTH } from '../../lambdas/shared/intent-limits';
export {
  type IntentError,
  type IntentOutcome,
  IntentRecordError,
  type IntentResult,
  type IntentStatus,
} from '../../lambdas/shared/intent-record';
export { DEFAULT_REQUEST_RULES } from '../../lambdas/shared/request-policy';
export { INTENT_JSON_SCHEMA_ID, intentJsonSchema, RULES_BEYOND_JSON_SCHEMA } from './intent-json-schema';
export { INTENT_MESSAGE_ATTRIBUTE, type IntentInput } from './intent-message';
export {
  type EnqueuedIntent,
  type EnqueueManyResult,
  type FailedIntent,
  OutreachGateClient,
  OutreachGateClientError,
  type OutreachGateClientOptions,
  PRECEDING_INTENT_FAILED,
} from './producer-client';
export {
  DEFAULT_MAX_POLL_INTERVAL_MS,
  DEFAULT_POLL_INTERVAL_MS,
  IntentResultTimeoutError,
  type SettledIntentResult,
  type WaitForResultOptions,
} from './wait-for-result';
