import type { IntentResult } from '../../lambdas/shared/intent-record';
import { IntentResultTimeoutError, waitForSettled } from '../../lib/client/wait-for-result';

const pending: IntentResult = { id: 'crm:order-1', status: 'pending', failureAttempts: 0 };
const inProgress: IntentResult = {
  id: 'crm:order-1',
  status: 'in-progress',
  failureAttempts: 2,
  lastError: { kind: 'timeout' },
};
const succeeded: IntentResult = {
  id: 'crm:order-1',
  status: 'succeeded',
  failureAttempts: 0,
  result: { httpStatus: 201, resourceType: 'prospect', resourceId: 9 },
};

/** A virtual clock that only moves when the wait sleeps, and the results to return read after read (the last repeats). */
function scripted(results: readonly IntentResult[]) {
  let now = 1_000_000;
  const sleeps: number[] = [];
  let reads = 0;
  return {
    sleeps,
    reads: () => reads,
    deps: {
      read: async () => results[Math.min(reads++, results.length - 1)] as IntentResult,
      clock: () => now,
      sleep: async (ms: number) => {
        sleeps.push(ms);
        now += ms;
      },
    },
  };
}

describe('waitForSettled', () => {
  it('GIVEN an intent that settles on the fourth read WHEN waited for THEN the settled result is returned', async () => {
    const script = scripted([pending, inProgress, inProgress, succeeded]);

    await expect(waitForSettled('crm:order-1', { timeoutMs: 60_000 }, script.deps)).resolves.toEqual(succeeded);
    expect(script.reads()).toBe(4);
  });

  it('GIVEN an intent that stays open WHEN waited for THEN the waits between reads double from pollIntervalMs up to maxPollIntervalMs', async () => {
    const script = scripted([pending]);

    await expect(
      waitForSettled('crm:order-1', { timeoutMs: 3_000, pollIntervalMs: 100, maxPollIntervalMs: 800 }, script.deps),
    ).rejects.toThrow(IntentResultTimeoutError);
    expect(script.sleeps.slice(0, 6)).toEqual([100, 200, 400, 800, 800, 700]);
  });

  it('GIVEN an intent that stays open WHEN the time is up THEN the last wait is cut to the time left and one more read is made', async () => {
    const script = scripted([pending]);

    await expect(waitForSettled('crm:order-1', { timeoutMs: 1_000, pollIntervalMs: 300 }, script.deps)).rejects.toThrow(
      IntentResultTimeoutError,
    );
    expect({ sleeps: script.sleeps, reads: script.reads() }).toEqual({ sleeps: [300, 600, 100], reads: 4 });
  });

  it('GIVEN an intent still in progress at the timeout WHEN the wait gives up THEN the error names the id, the time waited and where the intent stands', async () => {
    const script = scripted([inProgress]);

    const error = await waitForSettled('crm:order-1', { timeoutMs: 1_500 }, script.deps).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(IntentResultTimeoutError);
    expect(error).toMatchObject({
      id: 'crm:order-1',
      waitedMs: 1_500,
      lastResult: inProgress,
      message:
        'intent "crm:order-1" did not settle within 1500 ms: it is still in-progress (2 failed attempts, last error: timeout)',
    });
  });
});
