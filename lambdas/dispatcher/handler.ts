import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';

/**
 * Until the dispatcher's processing is wired in, every record is reported as failed so that nothing is
 * deleted that was not processed: SQS makes each message visible again after its visibility timeout.
 */
export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  return { batchItemFailures: event.Records.map((record) => ({ itemIdentifier: record.messageId })) };
}
