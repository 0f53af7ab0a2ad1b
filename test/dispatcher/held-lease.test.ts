import { type Message, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse } from 'aws-lambda';
import type { IntentStore } from '../../lambdas/dispatcher/ports';
import type { GateStore, Lease, ReturnedLease, UpstreamResult } from '../../lambdas/gate';
import { type LocalDispatcher, localDispatcher, localProducerClient } from '../../local/dispatcher';
import { type LocalEnvironment, startLocalEnvironment } from '../../local/environment';
import { toRecord } from '../../local/runner/event-source-mapping';
import { prospectCreate } from '../support/pipeline';

const context = { getRemainingTimeInMillis: () => 60_000 } as Context;

/** Enqueues `count` creates for `user` and runs them through `dispatcher` as one batch (one invocation). */
async function runBatch(
  env: LocalEnvironment,
  dispatcher: LocalDispatcher,
  user: string,
  count: number,
): Promise<SQSBatchResponse> {
  const intents = Array.from({ length: count }, (_, n) => prospectCreate(n, 'bulk', user));
  await localProducerClient(env).enqueueMany(intents.map((i) => ({ ...i, id: `${user}-${i.id}` })));
  const messages: Message[] = [];
  while (messages.length < count) {
    const { Messages } = await env.clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: env.lanes.bulk.queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    messages.push(...(Messages ?? []));
  }
  const records = messages.map((m) => toRecord(m, env.lanes.bulk.queueArn));
  return (await dispatcher.handler({ Records: records }, context)) as SQSBatchResponse;
}

/** A gate that reports each call before it goes through: admissions (with any lease they return) and releases. */
function watchedGate(
  onAcquire: (user: string, returning: ReturnedLease | undefined) => Promise<void>,
  onReleased: (lease: Lease, result: UpstreamResult) => Promise<void> = async () => {},
): (gate: GateStore) => GateStore {
  return (gate) => ({
    snapshot: (user) => gate.snapshot(user),
    waitForRelease: (user, ms) => gate.waitForRelease(user, ms),
    acquire: async (user, lane, now, returning) => {
      await onAcquire(user, returning);
      return gate.acquire(user, lane, now, returning);
    },
    release: async (lease, result, now) => {
      await gate.release(lease, result, now);
      await onReleased(lease, result);
    },
  });
}

describe('one invocation returns a successful request’s lease with its next admission', () => {
  let env: LocalEnvironment;
  /** Another dispatcher's view of the gate. */
  let other: LocalDispatcher;

  beforeAll(async () => {
    env = await startLocalEnvironment({ outreachUsers: ['u1', 'u2', 'u3'], stopOnSignals: false });
    other = localDispatcher(env);
  }, 60_000);

  afterAll(async () => {
    other?.close();
    await env?.stop();
  });

  it('GIVEN three intents of one user in one batch WHEN the invocation runs THEN the gate item gets one write per admission and one return at the end, and is left with no lease held and three requests spent', async () => {
    const dispatcher = localDispatcher(env);
    try {
      const response = await runBatch(env, dispatcher, 'u1', 3);

      const state = await other.gate.snapshot('u1');
      expect({
        failures: response.batchItemFailures.length,
        gateRequests: dispatcher.gate.requestCount,
        leasesHeld: Object.keys(state.leases).length,
        spent: state.spent,
      }).toEqual({ failures: 0, gateRequests: 4, leasesHeld: 0, spent: 3 });
    } finally {
      dispatcher.close();
    }
  }, 60_000);

  it('GIVEN a lease held after a success and a cool-down written by another dispatcher WHEN the next admission is refused THEN the lease has been returned by the time the refusal is answered', async () => {
    /** Per admission: whether it returned a held lease, and the leases held once it was answered. */
    const admissions: { returning: boolean; answer: string; heldAfter: number }[] = [];
    const dispatcher = localDispatcher(env, {
      decorateGate: (gate) => ({
        snapshot: (user) => gate.snapshot(user),
        waitForRelease: (user, ms) => gate.waitForRelease(user, ms),
        release: (lease, result, now) => gate.release(lease, result, now),
        acquire: async (user, lane, now, returning) => {
          if (returning !== undefined) {
            // Outreach said "wait a minute" to another dispatcher meanwhile.
            const theirs = await other.gate.acquire(user, 'bulk');
            if (theirs.kind !== 'lease') throw new Error(`expected a lease, got ${JSON.stringify(theirs)}`);
            await other.gate.release(theirs, { status: 429, headers: { 'retry-after': '60' } });
          }
          const answer = await gate.acquire(user, lane, now, returning);
          const heldAfter = Object.keys((await other.gate.snapshot(user)).leases).length;
          admissions.push({
            returning: returning !== undefined,
            answer: answer.kind === 'wait' ? answer.reason : answer.kind,
            heldAfter,
          });
          return answer;
        },
      }),
    });
    try {
      const response = await runBatch(env, dispatcher, 'u2', 2);

      expect({ admissions, deferred: response.batchItemFailures.length }).toEqual({
        admissions: [
          { returning: false, answer: 'lease', heldAfter: 1 },
          { returning: true, answer: 'cooldown', heldAfter: 0 },
        ],
        deferred: 1,
      });
    } finally {
      dispatcher.close();
    }
  }, 60_000);

  it('GIVEN a lease held after a success WHEN the next record of the invocation throws THEN no lease is left held after the invocation', async () => {
    let claims = 0;
    const failSecondClaim = (store: IntentStore): IntentStore => ({
      ...store,
      get: (...args) => store.get(...args),
      reopen: (...args) => store.reopen(...args),
      succeed: (...args) => store.succeed(...args),
      release: (...args) => store.release(...args),
      deadLetter: (...args) => store.deadLetter(...args),
      claim: async (...args) => {
        claims += 1;
        if (claims === 2) throw new Error('the intent table failed');
        return store.claim(...args);
      },
    });
    const dispatcher = localDispatcher(env, { decorateIntents: failSecondClaim });
    try {
      const response = await runBatch(env, dispatcher, 'u3', 2);
      const state = await other.gate.snapshot('u3');

      expect({ failed: response.batchItemFailures.length, leasesHeld: Object.keys(state.leases).length }).toEqual({
        failed: 1,
        leasesHeld: 0,
      });
    } finally {
      dispatcher.close();
    }
  }, 60_000);
});

describe('a 429 is never held for the next admission', () => {
  let env: LocalEnvironment;
  let other: LocalDispatcher;

  beforeAll(async () => {
    // Outreach allows one request an hour and says nothing of it in headers: the second request meets a 429.
    env = await startLocalEnvironment({
      outreachUsers: ['u1'],
      stopOnSignals: false,
      simulator: { users: ['u1'], budget: 1, windowSeconds: 3600, rateLimitHeaders: false },
    });
    other = localDispatcher(env);
  }, 60_000);

  afterAll(async () => {
    other?.close();
    await env?.stop();
  });

  it('GIVEN a request answered 429 WHEN its lease is handed back THEN it is returned at once on its own and another dispatcher sees the cool-down before the next admission', async () => {
    const calls: string[] = [];
    const dispatcher = localDispatcher(env, {
      decorateGate: watchedGate(
        async (user, returning) => {
          const cooling = ((await other.gate.snapshot(user)).cooldownUntil ?? 0) > Date.now();
          calls.push(
            `admit${returning ? ` returning ${returning.result.status}` : ''}${cooling ? ' (cooling down)' : ''}`,
          );
        },
        async (lease, result) => {
          const cooling = ((await other.gate.snapshot(lease.user)).cooldownUntil ?? 0) > Date.now();
          calls.push(`release ${result.status}${cooling ? ' (cooling down)' : ''}`);
        },
      ),
    });
    try {
      await runBatch(env, dispatcher, 'u1', 3);

      expect(calls).toEqual(['admit', 'admit returning 201', 'release 429 (cooling down)', 'admit (cooling down)']);
    } finally {
      dispatcher.close();
    }
  }, 60_000);
});
