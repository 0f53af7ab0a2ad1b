/**
 * A dispatcher worker process: the real dispatcher wired against the emulators (as `npm start` wires it), serving
 * invocations its parent sends over IPC. Secrets are read and written through the parent, and metrics are
 * forwarded to it, so both outlive the process when it is killed.
 */
import type { Context } from 'aws-lambda';
import type { GateMetrics } from '../../lambdas/dispatcher/ports';
import type { SecretStore } from '../../lambdas/tokens/ports';
import { localDispatcher } from '../dispatcher';
import { dynamoDbLocalClient } from '../emulators/dynamodb';
import { createLocalSqsClient } from '../emulators/sqs';
import { runInInvocation } from '../runner/invocation-scope';
import { type FromWorker, METRIC_NAMES, type ToWorker, type WorkerInit, type WorkerInvoke } from './worker-protocol';

const send = (message: FromWorker): void => {
  process.send?.(message);
};

let clockOffsetMs = 0;
let nextSecretCall = 0;
const secretCalls = new Map<number, { resolve: (value: string | undefined) => void; reject: (e: Error) => void }>();

function secretCall(message: FromWorker & { id: number }): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    secretCalls.set(message.id, { resolve, reject });
    send(message);
  });
}

/** Secrets Manager as the parent keeps it. */
const parentSecrets: SecretStore = {
  getSecretString: (secretId) => secretCall({ type: 'secret-get', id: nextSecretCall++, secretId }),
  putSecretString: async (secretId, value) => {
    await secretCall({ type: 'secret-put', id: nextSecretCall++, secretId, value });
  },
};

const forwardedMetrics = Object.fromEntries(
  METRIC_NAMES.map((name) => [name, (...args: unknown[]) => send({ type: 'metric', name, args })]),
) as unknown as GateMetrics;

let handler: ((event: WorkerInvoke['event'], context: Context) => unknown) | undefined;

function init(message: WorkerInit): void {
  clockOffsetMs = message.clockOffsetMs;
  const clients = {
    dynamodb: dynamoDbLocalClient(message.endpoints.dynamodb),
    sqs: createLocalSqsClient(message.endpoints.sqs),
  };
  const dispatcher = localDispatcher(
    {
      clients,
      endpoints: { ...message.endpoints, outreach: '' },
      dispatcherEnvironment: message.dispatcherEnvironment,
    },
    { secrets: parentSecrets, metrics: forwardedMetrics, clock: () => Date.now() + clockOffsetMs },
  );
  handler = dispatcher.handler;
  send({ type: 'ready' });
}

function context(message: WorkerInvoke): Context {
  const unsupported = () => {
    throw new Error('return a promise from the handler');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: message.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${message.functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: message.awsRequestId,
    logGroupName: `/aws/lambda/${message.functionName}`,
    logStreamName: `local/[$LATEST]${process.pid}`,
    getRemainingTimeInMillis: () => Math.max(0, message.deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}

/** Invocations in progress, by id: aborting one makes its clients and fetch refuse further calls. */
const invocations = new Map<number, AbortController>();

async function invoke(message: WorkerInvoke): Promise<void> {
  const abort = new AbortController();
  invocations.set(message.id, abort);
  try {
    const run = handler;
    if (run === undefined) throw new Error('the worker was invoked before it was initialised');
    const scope = { signal: abort.signal, requestId: message.awsRequestId };
    const response = await runInInvocation(scope, async () => run(message.event, context(message)));
    send({ type: 'result', id: message.id, response });
  } catch (error) {
    send({
      type: 'result',
      id: message.id,
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    });
  } finally {
    invocations.delete(message.id);
  }
}

process.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'init':
      init(message);
      break;
    case 'invoke':
      void invoke(message);
      break;
    case 'abort':
      invocations.get(message.id)?.abort();
      break;
    case 'clock':
      clockOffsetMs = message.offsetMs;
      break;
    case 'secret-reply': {
      const call = secretCalls.get(message.id);
      secretCalls.delete(message.id);
      if (message.error !== undefined) call?.reject(new Error(message.error));
      else call?.resolve(message.value);
      break;
    }
  }
});
// The parent going away ends the worker.
process.on('disconnect', () => process.exit(0));
