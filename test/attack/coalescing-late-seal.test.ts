import { randomUUID } from 'node:crypto';
import { ChangeMessageVisibilityCommand, DeleteMessageCommand, type Message } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse } from 'aws-lambda';
import type { FormingBatches, IntentStore } from '../../lambdas/dispatcher/ports';
import type { IntentResult } from '../../lambdas/shared/intent-record';
import { toRecord } from '../../local/runner/event-source-mapping';
import { runInInvocation } from '../../local/runner/invocation-scope';
import { HandDriver } from '../support/drive';
import { messagesOnQueue } from '../support/sqs';
import {
  batchesFor,
  COALESCING_SETTINGS,
  coalescingPipeline,
  enrolment,
  enrolmentCounts,
  letterOf,
  once,
  resend,
  seedProspects,
  statusesOf,
  takeDeadLetters,
  until,
} from './coalescing-fixtures';

/**
 * Bulk enrolments whose forming batch is sealed late: an opener that stalls past the window and past the point
 * where joiners call its batch stale, a joiner that replaces the batch while its opener is still alive, openers
 * whose invocation ends before (or right after) the seal or is left too little time to run the batch, parked
 * members received again while their batch is sealed late, and a member whose join reached the table long after
 * its claim (with the shortest park the settings accept, 37 s for a 30 s dispatcher and a 1 s window). Every
 * delivery is made by hand; an invocation ends at its time as Lambda ends it (its calls are refused after that and
 * its batch response is lost). Outreach is healthy throughout, so every intent must succeed and each prospect be
 * enrolled exactly once.
 */

const { maxAgeMs, parkMs } = COALESCING_SETTINGS.coalescing;
const FUNCTION_TIMEOUT_MS = COALESCING_SETTINGS.dispatcherTimeoutSeconds * 1000;
/** When a joiner calls a forming batch stale (the window plus as much again, at least 1 s). */
const STALE_AFTER_MS = maxAgeMs + Math.max(1000, maxAgeMs);

type Enrolment = ReturnType<typeof enrolment>;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** A one-shot signal a stalled adapter can wait on. */
function signal() {
  let fire: () => void = () => {};
  let fired = false;
  const promise = new Promise<void>((resolve) => {
    fire = resolve;
  });
  return {
    promise,
    fire: () => {
      fired = true;
      fire();
    },
    get fired() {
      return fired;
    },
  };
}

/** Waits for `promise` at most `ms`; true when it settled first. */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, ms));
  });
  const first = await Promise.race([promise.then(() => true as const), timeout]);
  clearTimeout(timer);
  return first;
}

interface JoinSeen {
  readonly ids: readonly string[];
  readonly opened: boolean;
  readonly batchKey: string | undefined;
  readonly openedAt: number | undefined;
  /** The clock the join was asked with. */
  readonly joinAt: number;
  /** When the join's answer came back. */
  readonly at: number;
}

interface SealSeen {
  readonly batchKey: string;
  /** The intents known to have joined the batch. */
  readonly ids: readonly string[];
  /** The members the seal returned; undefined when it was refused. */
  readonly members: readonly string[] | undefined;
  readonly error?: string;
  readonly at: number;
}

/** What the dispatcher logged at warn and error, for the evidence a failing test prints. */
class Logged {
  readonly lines: string[] = [];
  readonly logger = {
    info: () => {},
    warn: (message: string, details?: object) => void this.lines.push(`WARN ${message} ${JSON.stringify(details)}`),
    error: (message: string, details?: object) => void this.lines.push(`ERROR ${message} ${JSON.stringify(details)}`),
  };

  /** The lines that name any of `words`. */
  about(...words: string[]): string[] {
    return this.lines.filter((line) => words.some((word) => line.includes(word)));
  }
}

/**
 * Stalls the forming batches' joins and seals of chosen intents (as a slow table or a slow invocation would) and
 * records what they did; records each gathered claim's park end.
 */
class Stalls {
  /** Awaited before a join whose members include the intent. */
  readonly beforeJoin = new Map<string, () => Promise<unknown>>();
  /** Awaited before sealing the batch the intent joined. */
  readonly beforeSeal = new Map<string, () => Promise<unknown>>();
  /** Awaited after the seal of the batch the intent joined, before its members are handed to the runner. */
  readonly afterSeal = new Map<string, () => Promise<unknown>>();
  readonly joins: JoinSeen[] = [];
  readonly seals: SealSeen[] = [];
  /** Intent id → the park end (ownerExpiresAt) of its last gathered claim. */
  readonly parkEnds = new Map<string, number>();
  private readonly batchOf = new Map<string, string>();

  batches(inner: FormingBatches): FormingBatches {
    return {
      join: async (key, members, now, latestOpenedAt) => {
        for (const member of members) await this.beforeJoin.get(member.intentId)?.();
        const result = await inner.join(key, members, now, latestOpenedAt);
        const batch = result.batch;
        if (batch !== undefined) for (const member of result.joined) this.batchOf.set(member.intentId, batch.batchKey);
        this.joins.push({
          ids: result.joined.map((member) => member.intentId),
          opened: batch?.opened ?? false,
          batchKey: batch?.batchKey,
          openedAt: batch?.openedAt,
          joinAt: now,
          at: Date.now(),
        });
        return result;
      },
      seal: async (key, batchKey, now) => {
        const ids = [...this.batchOf].filter(([, joined]) => joined === batchKey).map(([id]) => id);
        for (const id of ids) await this.beforeSeal.get(id)?.();
        try {
          const members = await inner.seal(key, batchKey, now);
          this.seals.push({ batchKey, ids, members: members?.map((member) => member.intentId), at: Date.now() });
          for (const id of ids) await this.afterSeal.get(id)?.();
          return members;
        } catch (error) {
          this.seals.push({ batchKey, ids, members: undefined, error: String(error), at: Date.now() });
          throw error;
        }
      },
    };
  }

  intents(store: IntentStore): IntentStore {
    return {
      get: (id) => store.get(id),
      claim: async (intent, request, now) => {
        const claim = await store.claim(intent, request, now);
        if (claim.kind === 'claimed' && request.owner.startsWith('coalesce:')) {
          this.parkEnds.set(intent.id, request.ownerExpiresAt);
        }
        return claim;
      },
      reopen: (...args) => store.reopen(...args),
      release: (...args) => store.release(...args),
      deadLetter: (...args) => store.deadLetter(...args),
      succeed: (...args) => store.succeed(...args),
    };
  }

  /** The join that took `id` in, once it came back. */
  joinOf(id: string): JoinSeen | undefined {
    return this.joins.find((join) => join.ids.includes(id));
  }

  /** The seals of the batch `id` joined. */
  sealsOf(id: string): SealSeen[] {
    return this.seals.filter((seal) => seal.ids.includes(id));
  }
}

describe('bulk enrolments gathered into bulk actions: batches sealed late', () => {
  const stalls = new Stalls();
  const logged = new Logged();
  const coalescing = coalescingPipeline({
    byHand: true,
    settings: {
      // Sequences 11 to 17 exist too: each test gathers under keys of its own.
      simulator: { ...COALESCING_SETTINGS.simulator, resources: { seedSequences: 17 } },
      wrapDispatcher: {
        logger: logged.logger,
        decorateBatches: (batches) => stalls.batches(batches),
        decorateIntents: (store) => stalls.intents(store),
      },
    },
  });
  /** Invocations abandoned at their time, still finishing what they had started. */
  const abandoned: Promise<unknown>[] = [];

  afterEach(async () => {
    await within(Promise.allSettled(abandoned.splice(0)), 30_000);
  }, 40_000);

  /**
   * One invocation of the dispatcher on `messages` given `ms`, as Lambda runs it: at its time it is abandoned
   * (its scope is aborted, so its later AWS and Outreach calls are refused) and its batch response is lost, so
   * none of its records is deleted; otherwise the records it did not report failed are deleted.
   */
  async function invoke(messages: Message[], ms: number): Promise<'returned' | 'abandoned'> {
    const { pipeline } = coalescing;
    const { queueArn, queueUrl } = pipeline.env.lanes.bulk;
    const abort = new AbortController();
    const context = HandDriver.context(ms);
    const handled = runInInvocation({ signal: abort.signal, requestId: randomUUID() }, () =>
      pipeline.dispatcher.handler({ Records: messages.map((message) => toRecord(message, queueArn)) }, context),
    ) as Promise<SQSBatchResponse>;
    const answered = handled.then(
      (response) => ({ response }),
      (error: unknown) => ({ error }),
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), ms);
    });
    const first = await Promise.race([answered, timeout]);
    clearTimeout(timer);
    if (first === undefined) {
      abort.abort();
      abandoned.push(answered);
      return 'abandoned';
    }
    if ('response' in first) {
      const failed = new Set(first.response.batchItemFailures.map((f) => f.itemIdentifier));
      for (const message of messages) {
        if (failed.has(message.MessageId as string)) continue;
        await pipeline.env.clients.sqs.send(
          new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle as string }),
        );
      }
    }
    return 'returned';
  }

  /** Receives the bulk lane until it holds the messages of exactly `ids` (any order). */
  async function receiveOf(...ids: string[]): Promise<Message[]> {
    const { driver } = coalescing;
    const wanted = new Set(ids);
    const got: Message[] = [];
    const deadline = Date.now() + 15_000;
    while (got.length < ids.length) {
      if (Date.now() > deadline) throw new Error(`only ${got.length} of ${ids.length} messages arrived`);
      for (const message of await driver.receive('bulk', ids.length - got.length)) {
        const id = (JSON.parse(message.Body as string) as { id?: string }).id;
        if (id === undefined || !wanted.has(id)) throw new Error(`an unexpected message is on the bulk lane: ${id}`);
        got.push(message);
      }
      if (got.length < ids.length) await sleep(100);
    }
    return got;
  }

  /**
   * Drives the bulk lane by hand (30 s invocations) until every id is settled and the lane holds no message at
   * all, or the time is up; then reads what the promise is about: each id's status, its dead letters, each
   * prospect's sequence states and what is left on the lane.
   */
  async function outcome(
    ids: readonly string[],
    prospects: readonly number[],
    sequenceIds: number | readonly number[],
    timeoutMs: number,
  ) {
    const { pipeline, sim, seed } = coalescing;
    const deadline = Date.now() + timeoutMs;
    let results: IntentResult[];
    let left: number;
    for (;;) {
      results = await coalescing.driveUntilSettled(ids, Math.max(1000, deadline - Date.now()));
      left = await messagesOnQueue(pipeline.env.clients.sqs, pipeline.env.lanes.bulk.queueUrl);
      const settled = results.every((r) => r.status === 'succeeded' || r.status === 'dead-lettered');
      if ((settled && left === 0) || Date.now() > deadline) break;
      await sleep(500);
    }
    const letters = (await takeDeadLetters(pipeline)).map(letterOf).filter((l) => ids.includes(l.intentId ?? ''));
    const enrolments: Record<number, number> = {};
    for (const [n, prospect] of prospects.entries()) {
      const sequenceId = typeof sequenceIds === 'number' ? sequenceIds : (sequenceIds[n] as number);
      Object.assign(enrolments, await enrolmentCounts(sim, seed, [prospect], sequenceId));
    }
    return {
      statuses: statusesOf(results),
      deadLetters: letters.map((l) => [l.intentId, l.reason]),
      enrolments,
      leftOnLane: left,
    };
  }

  /** Two prospects made for `tag` and their enrolments into `sequenceId`, with ids `<tag>-<name>`. */
  async function twoEnrolments(tag: string, sequenceId: number, names: readonly [string, string] = ['a', 'b']) {
    const { sim, seed } = coalescing;
    const prospects = await seedProspects(sim, seed, 2, tag);
    const [first, second] = names.map((name, n) => enrolment(`${tag}-${name}`, prospects[n] as number, { sequenceId }));
    return { prospects, intents: [first, second] as [Enrolment, Enrolment] };
  }

  /** What the promise leaves with a healthy Outreach: every id succeeded, each prospect enrolled once, a clean lane. */
  const promised = (ids: readonly string[], prospects: readonly number[]) => ({
    statuses: Object.fromEntries(ids.map((id) => [id, 'succeeded'])),
    deadLetters: [],
    enrolments: once(prospects),
    leftOnLane: 0,
  });

  it('GIVEN an opener that stalls past the window and past the stale point after a joiner joined WHEN it seals the batch nobody replaced THEN one bulk action enrols both, each once, and both succeed', async () => {
    const { pipeline, sim, seed } = coalescing;
    const sequenceId = 11;
    const {
      prospects,
      intents: [a, b],
    } = await twoEnrolments('stalled-opener', sequenceId);
    const joinerDone = signal();
    stalls.beforeSeal.set(a.id, async () => {
      await within(joinerDone.promise, 10_000);
      const openedAt = stalls.joinOf(a.id)?.openedAt ?? Date.now();
      await sleep(openedAt + STALE_AFTER_MS + 1500 - Date.now());
    });
    await pipeline.client.enqueueMany([a]);
    const opener = invoke(await receiveOf(a.id), FUNCTION_TIMEOUT_MS);
    expect(await until(() => stalls.joinOf(a.id) !== undefined, 10_000)).toBe(true);
    await pipeline.client.enqueueMany([b]);
    const joiner = await invoke(await receiveOf(b.id), FUNCTION_TIMEOUT_MS);
    joinerDone.fire();
    const openerEnded = await opener;
    const openedAt = stalls.joinOf(a.id)?.openedAt ?? 0;
    const [seal] = stalls.sealsOf(a.id);
    const scenario = {
      openerOpened: stalls.joinOf(a.id)?.opened,
      joinerJoinedTheSameBatch: stalls.joinOf(b.id)?.batchKey === stalls.joinOf(a.id)?.batchKey,
      sealedWhenStale: seal !== undefined && seal.at - openedAt > STALE_AFTER_MS,
      sealed: [...(seal?.members ?? [])].sort(),
      invocations: [openerEnded, joiner],
      bulkActions: (await batchesFor(sim, seed, prospects)).map((batch) => [...batch.ids].sort()),
    };
    const ids = [a.id, b.id];
    expect({ scenario, ...(await outcome(ids, prospects, sequenceId, 60_000)) }).toEqual({
      scenario: {
        openerOpened: true,
        joinerJoinedTheSameBatch: true,
        sealedWhenStale: true,
        sealed: ids,
        invocations: ['returned', 'returned'],
        bulkActions: [[...prospects].sort()],
      },
      ...promised(ids, prospects),
    });
  }, 120_000);

  it('GIVEN an opener still alive WHEN a joiner replaces its batch as stale and the opener then seals THEN the opener is refused, its member comes back after its park, and each prospect is enrolled once', async () => {
    const { pipeline } = coalescing;
    const sequenceId = 12;
    const {
      prospects,
      intents: [a, b],
    } = await twoEnrolments('replaced', sequenceId);
    stalls.beforeSeal.set(a.id, () =>
      until(() => stalls.joinOf(b.id) !== undefined && stalls.sealsOf(b.id).length > 0, 15_000),
    );
    await pipeline.client.enqueueMany([a]);
    const opener = invoke(await receiveOf(a.id), FUNCTION_TIMEOUT_MS);
    expect(await until(() => stalls.joinOf(a.id) !== undefined, 10_000)).toBe(true);
    await sleep((stalls.joinOf(a.id)?.openedAt ?? Date.now()) + STALE_AFTER_MS + 600 - Date.now());
    await pipeline.client.enqueueMany([b]);
    const joiner = await invoke(await receiveOf(b.id), FUNCTION_TIMEOUT_MS);
    const openerEnded = await opener;
    const scenario = {
      joinerOpenedAnotherBatch:
        stalls.joinOf(b.id)?.opened === true && stalls.joinOf(b.id)?.batchKey !== stalls.joinOf(a.id)?.batchKey,
      openerSeals: stalls.sealsOf(a.id).map((seal) => seal.members),
      joinerSeals: stalls.sealsOf(b.id).map((seal) => seal.members),
      invocations: [openerEnded, joiner],
    };
    const ids = [a.id, b.id];
    expect({ scenario, ...(await outcome(ids, prospects, sequenceId, 100_000)) }).toEqual({
      scenario: {
        joinerOpenedAnotherBatch: true,
        openerSeals: [undefined],
        joinerSeals: [[b.id]],
        invocations: ['returned', 'returned'],
      },
      ...promised(ids, prospects),
    });
  }, 150_000);

  it('GIVEN openers whose invocations end before their seal reaches the table or right after it WHEN their members and their joiners come back after the park THEN each prospect is enrolled once and every intent succeeds', async () => {
    const { pipeline, sim, seed } = coalescing;
    // The shortest invocation that still gathers: the window and one run of a full batch, and a little more.
    const shortMs = 16_500;
    const [before, after] = [13, 16];
    const prospects = await seedProspects(sim, seed, 4, 'short-opener');
    const intents = [
      enrolment('short-opener-before-a', prospects[0] as number, { sequenceId: before }),
      enrolment('short-opener-before-b', prospects[1] as number, { sequenceId: before }),
      enrolment('short-opener-after-a', prospects[2] as number, { sequenceId: after }),
      enrolment('short-opener-after-b', prospects[3] as number, { sequenceId: after }),
    ] as const;
    const [beforeA, beforeB, afterA, afterB] = intents;
    const ends = new Map<string, number>();
    // Seals only once the opener's invocation has ended: the table never sees it.
    stalls.beforeSeal.set(beforeA.id, () => sleep((ends.get(beforeA.id) ?? Date.now()) + 300 - Date.now()));
    // The seal lands, then the invocation ends before the bulk action is posted.
    stalls.beforeSeal.set(afterA.id, () => sleep((ends.get(afterA.id) ?? Date.now()) - 1500 - Date.now()));
    stalls.afterSeal.set(afterA.id, () => sleep((ends.get(afterA.id) ?? Date.now()) + 300 - Date.now()));
    const open = async (opener: (typeof intents)[number], joiner: (typeof intents)[number]) => {
      await pipeline.client.enqueueMany([opener]);
      const messages = await receiveOf(opener.id);
      ends.set(opener.id, Date.now() + shortMs);
      const ended = invoke(messages, shortMs);
      if (!(await until(() => stalls.joinOf(opener.id) !== undefined, 10_000))) throw new Error('no batch opened');
      await pipeline.client.enqueueMany([joiner]);
      const joined = await invoke(await receiveOf(joiner.id), FUNCTION_TIMEOUT_MS);
      return { ended, joined };
    };
    const first = await open(beforeA, beforeB);
    const second = await open(afterA, afterB);
    const invocations = [
      [await first.ended, first.joined],
      [await second.ended, second.joined],
    ];
    // The abandoned opener still reaches its seal, which the ended invocation may no longer make.
    await until(() => stalls.sealsOf(beforeA.id).length > 0, 5000);
    const scenario = {
      invocations,
      joinersJoined: [beforeB, afterB].map(
        (i) => stalls.joinOf(i.id)?.batchKey !== undefined && !stalls.joinOf(i.id)?.opened,
      ),
      sealBeforeEnd: stalls.sealsOf(beforeA.id).map((seal) => seal.error !== undefined),
      sealAfterEnd: stalls.sealsOf(afterA.id).map((seal) => [...(seal.members ?? [])].sort()),
      bulkActions: (await batchesFor(sim, seed, prospects)).length,
    };
    const ids = intents.map((i) => i.id);
    expect({ scenario, ...(await outcome(ids, prospects, [before, before, after, after], 110_000)) }).toEqual({
      scenario: {
        invocations: [
          ['abandoned', 'returned'],
          ['abandoned', 'returned'],
        ],
        joinersJoined: [true, true],
        sealBeforeEnd: [true],
        sealAfterEnd: [[afterA.id, afterB.id].sort()],
        bulkActions: 0,
      },
      ...promised(ids, prospects),
    });
  }, 180_000);

  it('GIVEN an opener short of time whose seal lands with less time left than a bulk action needs WHEN it hands the batch back THEN its member and its joiner come back at once and each prospect is enrolled once', async () => {
    const { pipeline, sim, seed } = coalescing;
    const sequenceId = 17;
    const shortMs = 16_500;
    const {
      prospects,
      intents: [a, b],
    } = await twoEnrolments('handed-back', sequenceId);
    let end = 0;
    // The seal lands with 8 s left: less than the POST, the first poll, one read and a cancel need (13.04 s).
    stalls.beforeSeal.set(a.id, () => sleep(end - 8000 - Date.now()));
    await pipeline.client.enqueueMany([a]);
    const messages = await receiveOf(a.id);
    end = Date.now() + shortMs;
    const opener = invoke(messages, shortMs);
    expect(await until(() => stalls.joinOf(a.id) !== undefined, 10_000)).toBe(true);
    await pipeline.client.enqueueMany([b]);
    const joiner = await invoke(await receiveOf(b.id), FUNCTION_TIMEOUT_MS);
    const openerEnded = await opener;
    const [seal] = stalls.sealsOf(a.id);
    const scenario = {
      sealed: [...(seal?.members ?? [])].sort(),
      sealedWithTooLittleTime: seal !== undefined && end - seal.at < 13_040,
      postedByTheOpener: (await batchesFor(sim, seed, prospects)).length,
      invocations: [openerEnded, joiner],
    };
    const ids = [a.id, b.id];
    const started = Date.now();
    const seen = await outcome(ids, prospects, sequenceId, 60_000);
    expect({ scenario, settledWithinAPark: Date.now() - started < parkMs, ...seen }).toEqual({
      scenario: {
        sealed: ids,
        sealedWithTooLittleTime: true,
        postedByTheOpener: 0,
        invocations: ['returned', 'returned'],
      },
      settledWithinAPark: true,
      ...promised(ids, prospects),
    });
  }, 120_000);

  it('GIVEN a member whose batch is being sealed late WHEN its own message is received again and a producer copy of it arrives meanwhile THEN neither enrols it, the late seal enrols it once, and every copy is settled', async () => {
    const { pipeline, sim, seed } = coalescing;
    const sequenceId = 14;
    const {
      prospects,
      intents: [x, y],
    } = await twoEnrolments('late-again', sequenceId, ['x', 'y']);
    const sealing = signal();
    const copiesHandled = signal();
    stalls.beforeSeal.set(x.id, async () => {
      sealing.fire();
      await within(copiesHandled.promise, 12_000);
      await sleep((stalls.joinOf(x.id)?.openedAt ?? Date.now()) + STALE_AFTER_MS + 1000 - Date.now());
    });
    await pipeline.client.enqueueMany([x]);
    const [first] = await receiveOf(x.id);
    const opener = invoke([first as Message], FUNCTION_TIMEOUT_MS);
    expect(await until(() => stalls.joinOf(x.id) !== undefined, 10_000)).toBe(true);
    await pipeline.client.enqueueMany([y]);
    const joiner = await invoke(await receiveOf(y.id), FUNCTION_TIMEOUT_MS);
    expect(await within(sealing.promise, 10_000)).toBe(true);
    // The parked message shows again (an early redelivery), and the producer sends the intent once more.
    await pipeline.env.clients.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: pipeline.env.lanes.bulk.queueUrl,
        ReceiptHandle: (first as Message).ReceiptHandle as string,
        VisibilityTimeout: 0,
      }),
    );
    await resend(pipeline, x, 'late-again');
    const copies = await receiveOf(x.id, x.id);
    const again = await invoke(copies, FUNCTION_TIMEOUT_MS);
    const enrolledWhileSealing = await enrolmentCounts(sim, seed, prospects, sequenceId);
    copiesHandled.fire();
    const openerEnded = await opener;
    const openedAt = stalls.joinOf(x.id)?.openedAt ?? 0;
    const [seal] = stalls.sealsOf(x.id);
    const scenario = {
      copiesWereTheParkedMessageAndANewOne: copies.map((c) => c.MessageId === first?.MessageId).sort(),
      enrolledWhileSealing,
      sealedLate: seal !== undefined && seal.at - openedAt > STALE_AFTER_MS,
      sealed: [...(seal?.members ?? [])].sort(),
      invocations: [openerEnded, joiner, again],
    };
    const ids = [x.id, y.id];
    expect({ scenario, ...(await outcome(ids, prospects, sequenceId, 60_000)) }).toEqual({
      scenario: {
        copiesWereTheParkedMessageAndANewOne: [false, true],
        enrolledWhileSealing: Object.fromEntries(prospects.map((p) => [p, 0])),
        sealedLate: true,
        sealed: ids,
        invocations: ['returned', 'returned', 'returned'],
      },
      ...promised(ids, prospects),
    });
  }, 150_000);

  it('GIVEN the shortest park the settings accept and a member whose join reaches the table 25 s after its claim, after another invocation opened a batch WHEN the opener seals late in its invocation and a producer copy of the member arrives after the park THEN the member passes that batch over and the prospect is enrolled once', async () => {
    const { pipeline, sim, seed } = coalescing;
    const sequenceId = 15;
    const {
      prospects,
      intents: [x, y],
    } = await twoEnrolments('slow-join', sequenceId, ['x', 'y']);
    const copySettled = signal();
    let openerStarted = 0;
    // The joiner's join is slow (a throttled table): it reaches the table once the opener has opened its batch.
    stalls.beforeJoin.set(x.id, () => until(() => stalls.joinOf(y.id) !== undefined, 27_000, 20));
    // The opener's seal is slow too, yet it still posts with the run's time left: 13.04 s for two members.
    stalls.beforeSeal.set(y.id, async () => {
      await within(copySettled.promise, openerStarted + FUNCTION_TIMEOUT_MS - 14_500 - Date.now());
    });
    await pipeline.client.enqueueMany([x]);
    const started = Date.now();
    const joiner = invoke(await receiveOf(x.id), FUNCTION_TIMEOUT_MS);
    // The opener starts while the joiner's invocation still has a few seconds left for its join.
    await sleep(started + 25_000 - Date.now());
    await pipeline.client.enqueueMany([y]);
    const messages = await receiveOf(y.id);
    openerStarted = Date.now();
    const opener = invoke(messages, FUNCTION_TIMEOUT_MS);
    const joinerEnded = await joiner;
    // A producer sends the intent again once the member's park has ended.
    const parkEnd = stalls.parkEnds.get(x.id) ?? started + parkMs;
    await sleep(parkEnd + 200 - Date.now());
    await resend(pipeline, x, 'slow-join');
    const copy = await invoke(await receiveOf(x.id), FUNCTION_TIMEOUT_MS);
    const [copyResult] = await pipeline.readResults([x.id]);
    copySettled.fire();
    const openerEnded = await opener;
    const [seal] = stalls.sealsOf(y.id);
    const scenario = {
      joinedTheOpenersBatch: stalls.joinOf(x.id)?.batchKey === stalls.joinOf(y.id)?.batchKey,
      joinLandedAfterOpen: (stalls.joinOf(x.id)?.at ?? 0) > (stalls.joinOf(y.id)?.at ?? Number.POSITIVE_INFINITY),
      copyCameAfterThePark: Date.now() > parkEnd,
      copySettled: copyResult?.status,
      // By then the opener's batch is stale and the copy replaced it: the opener's late seal is refused.
      openersSealRefused: seal !== undefined && seal.members === undefined,
      invocations: [joinerEnded, openerEnded, copy],
    };
    const ids = [x.id, y.id];
    const seen = await outcome(ids, prospects, sequenceId, 60_000);
    if (seen.enrolments[prospects[0] as number] !== 1) {
      console.log(
        [
          `joiner claimed ${x.id} with a park to ${new Date(parkEnd).toISOString()}`,
          `its join was asked at ${new Date(stalls.joinOf(x.id)?.joinAt ?? 0).toISOString()} and came back at ${new Date(stalls.joinOf(x.id)?.at ?? 0).toISOString()}, into the batch opened at ${new Date(stalls.joinOf(y.id)?.openedAt ?? 0).toISOString()}`,
          `the opener sealed ${seal?.members?.join(', ')} at ${new Date(seal?.at ?? 0).toISOString()}`,
          `bulk actions holding the prospects: ${JSON.stringify(await batchesFor(sim, seed, prospects))}`,
          ...logged.about(x.id, 'already settled'),
        ].join('\n'),
      );
    }
    expect({ scenario, ...seen }).toEqual({
      scenario: {
        joinedTheOpenersBatch: false,
        joinLandedAfterOpen: true,
        copyCameAfterThePark: true,
        copySettled: 'succeeded',
        openersSealRefused: true,
        invocations: ['returned', 'returned', 'returned'],
      },
      ...promised(ids, prospects),
    });
  }, 180_000);
});
