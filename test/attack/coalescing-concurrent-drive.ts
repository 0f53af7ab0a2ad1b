import type { IntentResult } from '../../lambdas/shared/intent-record';
import { HandDriver } from '../support/drive';
import type { Pipeline } from '../support/pipeline';

/** How the bulk lane is received and invoked by hand, several invocations at once. */
export interface Concurrency {
  /** Invocations started at once in each round. */
  readonly invocations: number;
  /** Messages each invocation receives (at most 10). */
  readonly perInvocation: number;
  /** The time the `n`th invocation of a round is given. @default - 30 s each */
  readonly invocationMs?: (n: number) => number;
}

/**
 * Receives the bulk lane as `invocations` batches of `perInvocation` messages and invokes them all at once, round
 * after round, until every id is settled and the lane is empty, or `timeoutMs` is up; returns the results read
 * last. Deferred records wait out their visibility as they would on SQS.
 */
export async function driveConcurrently(
  pipeline: Pipeline,
  driver: HandDriver,
  ids: readonly string[],
  { invocations, perInvocation, invocationMs = () => 30_000 }: Concurrency,
  timeoutMs = 180_000,
): Promise<IntentResult[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const received = [];
    for (let n = 0; n < invocations; n++) {
      const messages = await driver.receive('bulk', perInvocation);
      if (messages.length === 0) break;
      received.push(messages);
    }
    await Promise.all(
      received.map((messages, n) =>
        driver.invoke('bulk', messages, { context: HandDriver.context(invocationMs(n)), revive: false }),
      ),
    );
    const results = await pipeline.readResults(ids);
    const settled = results.every((r) => r.status === 'succeeded' || r.status === 'dead-lettered');
    if ((settled && received.length === 0) || Date.now() > deadline) return results;
    if (received.length === 0) await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
