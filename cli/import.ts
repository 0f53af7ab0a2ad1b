import type { Intent } from '../lambdas/shared/intent';
import type { EnqueuedIntent, FailedIntent, OutreachGateClient } from '../lib/client';
import type { Progress } from './progress';

/** What an import sent: accepted by the lane's queue, or refused with SQS's reason. */
export interface ImportSummary {
  readonly accepted: readonly EnqueuedIntent[];
  readonly refused: readonly FailedIntent[];
}

/** Intents per `enqueueMany` call: large enough for full batches, small enough for a lively progress bar. */
const CHUNK = 100;

/**
 * Enqueues validated intents in file order with the producer client. Safe to run again after a stop: the
 * intent id is the idempotency key, so SQS drops a re-sent id within five minutes and the dispatcher never
 * performs an id twice after that.
 */
export async function importIntents(
  client: OutreachGateClient,
  intents: readonly Intent[],
  progress: Progress,
  clock: () => number = Date.now,
): Promise<ImportSummary> {
  const accepted: EnqueuedIntent[] = [];
  const refused: FailedIntent[] = [];
  const startedAt = clock();
  progress.start(intents.length);
  try {
    for (let start = 0; start < intents.length; start += CHUNK) {
      const result = await client.enqueueMany(intents.slice(start, start + CHUNK));
      accepted.push(...result.sent);
      refused.push(...result.failed);
      const rate = () => (accepted.length + refused.length) / Math.max(0.001, (clock() - startedAt) / 1000);
      for (let i = 0; i < result.sent.length + result.failed.length; i += 1) progress.tick(rate());
    }
  } finally {
    progress.stop();
  }
  return { accepted, refused };
}

/** The summary as plain text, with each refused intent and why. Pure. */
export function formatImportSummary(summary: ImportSummary, seconds: number): string {
  const total = summary.accepted.length + summary.refused.length;
  const lines = [
    `accepted ${summary.accepted.length}, refused ${summary.refused.length} of ${total} in ${seconds.toFixed(1)} s (${(total / Math.max(0.001, seconds)).toFixed(1)}/s)`,
    ...summary.refused.map((failure) => `refused ${failure.id}: ${failure.code}: ${failure.message}`),
  ];
  return `${lines.join('\n')}\n`;
}
