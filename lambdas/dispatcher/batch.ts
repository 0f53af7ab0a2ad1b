import { processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { Coalescer, Gathered } from './coalescer';
import { DeferredError, type DispatchLogger, type IntentDispatcher } from './dispatch';
import type { LaneQueues } from './ports';

/** The Lambda handler's shape: an SQS batch in, a partial batch response out. */
export type SqsBatchHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/** Thrown for a record whose message group stopped earlier in the batch (a recycled record): it is not processed. */
class GroupStoppedError extends Error {
  override readonly name = 'GroupStoppedError';
}

/**
 * Processes one batch in message-group order with Powertools' FIFO processor: once a record of a group is
 * deferred, recycled or fails, the group's later records are not processed and are reported failed, so order
 * holds. Those skipped records are made visible again at once: they stay behind their group's first record, which
 * is hidden for its wait. A recycled record is deleted (its copy is on the queue) but stops its group just the
 * same. A batch in which every record waits is a normal outcome, not an invocation error.
 *
 * With a coalescer, bulk enrolments are gathered first (see coalescer.ts): a gathered record is reported failed
 * like a deferred one (its message stays, hidden, for its batch to settle and delete) and stops its group; the
 * batches this invocation must seal run beside the other records, and the invocation ends when they are done.
 */
export function createBatchHandler(
  dispatcher: IntentDispatcher,
  queues: LaneQueues,
  logger: DispatchLogger,
  coalescer?: Coalescer,
): SqsBatchHandler {
  return async (event, context) => {
    const remainingMs = () => context.getRemainingTimeInMillis();
    const gathered: Gathered | undefined = await coalescer?.gather(event.Records, remainingMs);
    const sealing = gathered === undefined ? Promise.resolve() : (coalescer as Coalescer).finish(gathered, remainingMs);
    const processor = new SqsFifoPartialProcessorAsync();
    const processed = new Set<string>();
    const stoppedGroups = new Set<string>();
    const recordHandler = async (record: SQSRecord) => {
      const group = record.attributes.MessageGroupId ?? record.messageId;
      if (stoppedGroups.has(group)) throw new GroupStoppedError(`group ${group} stopped at a recycled record`);
      processed.add(record.messageId);
      if (gathered?.coalesced.has(record.messageId)) throw new DeferredError('coalesced', 0);
      try {
        const outcome = await dispatcher.process(record, remainingMs, gathered?.claimed.get(record.messageId));
        if (outcome === 'recycled') stoppedGroups.add(group);
        return outcome;
      } catch (error) {
        if (!(error instanceof DeferredError)) {
          logger.error('record failed unexpectedly; it will be retried after its visibility timeout', {
            messageId: record.messageId,
            error: error instanceof Error ? { name: error.name, message: error.message } : String(error),
          });
        }
        throw error;
      }
    };
    // Records one after another, each successful request's lease returned with the next admission of its user.
    const response = await dispatcher.withHeldLeases(() =>
      processPartialResponse(event, recordHandler, processor, {
        context,
        skipGroupOnError: true,
        throwOnFullBatchFailure: false,
      }),
    );
    const skipped = event.Records.filter(
      (r) => !processed.has(r.messageId) && response.batchItemFailures.some((f) => f.itemIdentifier === r.messageId),
    );
    await Promise.all(
      skipped.map((r) =>
        queues.release(dispatcher.laneOf(r), r.receiptHandle).catch((error: unknown) =>
          logger.warn('could not make a skipped record visible again; it returns after its visibility timeout', {
            messageId: r.messageId,
            error: String(error),
          }),
        ),
      ),
    );
    await sealing;
    return response;
  };
}
