/**
 * The messages a dispatcher worker process and its parent exchange over IPC. The worker is the dispatcher of one
 * execution environment; the parent plays Lambda (it invokes it) and Secrets Manager (the secrets outlive it).
 */
import type { SQSEvent } from 'aws-lambda';
import type { DispatcherEnvironment } from '../../lambdas/shared/config';

/** What a worker needs to wire the dispatcher: the environment and where the emulators listen. */
export interface WorkerInit {
  readonly type: 'init';
  readonly dispatcherEnvironment: DispatcherEnvironment;
  readonly endpoints: { readonly dynamodb: string; readonly sqs: string };
  /** Added to the worker's clock, in ms (a dispatcher whose clock is off). */
  readonly clockOffsetMs: number;
}

/** Invoke the handler with `event`; the context's remaining time counts down to `deadline` (epoch ms). */
export interface WorkerInvoke {
  readonly type: 'invoke';
  readonly id: number;
  readonly event: SQSEvent;
  readonly deadline: number;
  readonly awsRequestId: string;
  readonly functionName: string;
}

/** The runner abandoned invocation `id` at the function timeout: its calls are refused from now on. */
export interface WorkerAbort {
  readonly type: 'abort';
  readonly id: number;
}

/** Set the worker's clock offset. */
export interface WorkerClock {
  readonly type: 'clock';
  readonly offsetMs: number;
}

/** The parent's answer to a secret call. */
export interface WorkerSecretReply {
  readonly type: 'secret-reply';
  readonly id: number;
  readonly value?: string;
  readonly error?: string;
}

/** Parent → worker. */
export type ToWorker = WorkerInit | WorkerInvoke | WorkerAbort | WorkerClock | WorkerSecretReply;

/** Worker → parent. */
export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'result'; readonly id: number; readonly response?: unknown; readonly error?: string }
  | { readonly type: 'secret-get'; readonly id: number; readonly secretId: string }
  | { readonly type: 'secret-put'; readonly id: number; readonly secretId: string; readonly value: string }
  | { readonly type: 'metric'; readonly name: MetricName; readonly args: readonly unknown[] };

/** The GateMetrics methods a worker forwards to its parent. */
export type MetricName =
  | 'upstream'
  | 'deferral'
  | 'failure'
  | 'deadLettered'
  | 'succeeded'
  | 'inFlight'
  | 'remainingBudget'
  | 'cooldownRemaining'
  | 'tokenMinted';

/** Every forwarded metric. */
export const METRIC_NAMES: readonly MetricName[] = [
  'upstream',
  'deferral',
  'failure',
  'deadLettered',
  'succeeded',
  'inFlight',
  'remainingBudget',
  'cooldownRemaining',
  'tokenMinted',
];
