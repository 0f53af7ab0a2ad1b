import { ChangeMessageVisibilityCommand, DeleteMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSBatchResponse } from 'aws-lambda';
import fc from 'fast-check';
import { InMemorySecretStore } from '../../lambdas/adapters/in-memory-secrets';
import type { IntentStore } from '../../lambdas/dispatcher/ports';
import { wireDispatcher } from '../../lambdas/dispatcher/wiring';
import type { GateStore } from '../../lambdas/gate';
import { type DispatcherEnvironment, refreshTokenSecretName } from '../../lambdas/shared/config';
import type { Intent as StoredIntent } from '../../lambdas/shared/intent';
import type { Lane } from '../../lambdas/shared/names';
import { prepareIntent } from '../../lib/client/intent-message';
import { localProducerClient, QUIET_LOGGER, simulatorCredentials } from '../../local/dispatcher';
import { dynamoDbLocalClient } from '../../local/emulators/dynamodb';
import { createLaneQueues, createLocalSqsClient } from '../../local/emulators/sqs';
import { type LocalEnvironment, startLocalEnvironment } from '../../local/environment';
import { RecordingGateMetrics } from '../../local/recording-metrics';
import { toRecord } from '../../local/runner/event-source-mapping';
import { HandDriver, reasonOf } from '../support/drive';

/**
 * Random interleavings of everything that can happen to an intent — first sends, re-sends of the same id (same
 * payload, another payload, another message group, a new de-duplication id as after SQS's 5-minute window),
 * redrives of dead-letter copies, a dispatcher dying before or after any port call, deferrals, recycling at a low
 * receive count and two dispatchers at once — against DynamoDB Local, the SQS emulator and the Outreach
 * simulator. After each run: nothing was created twice, no id was performed twice, every intent is succeeded or
 * dead-lettered with a reason, and updates of one prospect reached Outreach in the order they were sent.
 */

const LANE: Lane = 'standard';
const USERS = ['u1', 'u2'];
const RUNS = Number(process.env.EXACTLY_ONCE_RUNS ?? 200);

/** A point where a dispatcher can die or be told to wait. */
const POINTS = [
  'intents.claim',
  'intents.reopen',
  'intents.succeed',
  'intents.release',
  'intents.deadLetter',
  'gate.acquire',
  'gate.release',
  'upstream',
  'sqs.defer',
  'sqs.deadLetter',
  'sqs.resend',
] as const;
type Point = (typeof POINTS)[number];

/**
 * A fault: at the `nth` call (from 1) of `point` in the run, die before or after the call (the invocation never
 * returns), fail before or after it (an AWS or network error), or (gate) be told to wait.
 */
interface Fault {
  readonly point: Point;
  readonly nth: number;
  readonly mode: 'die-before' | 'die-after' | 'throw-before' | 'throw-after' | 'defer';
}

/** A prospect create, an update of the user's prospect, or the bulk action (at most one per run). */
type IntentSpec = { readonly kind: 'create' | 'update' | 'bulk' };

type Action =
  | {
      readonly kind: 'resend';
      readonly intent: number;
      readonly variant: 'same' | 'other-payload' | 'other-group' | 'after-window';
    }
  | { readonly kind: 'step' }
  | { readonly kind: 'two-dispatchers' }
  | { readonly kind: 'redrive' };

interface Scenario {
  readonly intents: readonly IntentSpec[];
  readonly actions: readonly Action[];
  readonly faults: readonly Fault[];
  readonly recycleAt: number;
  readonly user: string;
}

const scenarioArb: fc.Arbitrary<Scenario> = fc
  .record({
    intents: fc.array(fc.constantFrom('create' as const, 'update' as const, 'bulk' as const), {
      minLength: 1,
      maxLength: 3,
    }),
    actions: fc.array(
      fc.oneof(
        { weight: 4, arbitrary: fc.constant({ kind: 'step' as const }) },
        { weight: 2, arbitrary: fc.constant({ kind: 'two-dispatchers' as const }) },
        { weight: 1, arbitrary: fc.constant({ kind: 'redrive' as const }) },
        {
          weight: 2,
          arbitrary: fc.record({
            kind: fc.constant('resend' as const),
            intent: fc.nat(2),
            variant: fc.constantFrom(
              'same' as const,
              'other-payload' as const,
              'other-group' as const,
              'after-window' as const,
            ),
          }),
        },
      ),
      { minLength: 1, maxLength: 5 },
    ),
    faults: fc.array(
      fc.record({
        point: fc.constantFrom(...POINTS),
        nth: fc.integer({ min: 1, max: 2 }),
        mode: fc.constantFrom(
          'die-before' as const,
          'die-after' as const,
          'throw-before' as const,
          'throw-after' as const,
          'defer' as const,
        ),
      }),
      { minLength: 1, maxLength: 3 },
    ),
    recycleAt: fc.constantFrom(2, 3, 1000),
    user: fc.constantFrom(...USERS),
  })
  .map((s) => ({
    ...s,
    intents: s.intents.map((kind, i) => ({
      kind: kind === 'bulk' && s.intents.indexOf('bulk') !== i ? 'create' : kind,
    })),
    // Only the gate's admission can be told to wait; other points die.
    faults: s.faults.map((f) =>
      f.mode === 'defer' && f.point !== 'gate.acquire' ? { ...f, mode: 'throw-after' as const } : f,
    ),
  }));

/** One "Lambda container": a wired dispatcher whose ports can die (hang for ever) at a chosen call. */
interface Container {
  readonly handler: (event: { Records: ReturnType<typeof toRecord>[] }, context: Context) => Promise<SQSBatchResponse>;
  /** Resolves when this container died. */
  readonly died: Promise<void>;
  close(): void;
}

/** An intent as a producer writes it. */
type Intent = Omit<StoredIntent, 'v'>;

const never = new Promise<never>(() => {});

describe('exactly once and never lost, on random interleavings', () => {
  let env: LocalEnvironment;
  let lanes: LocalEnvironment['lanes'];
  /** A prospect per user that the runs' updates change. */
  const prospects = new Map<string, number>();
  let skew = 0;
  let runCounter = 0;
  const clock = () => Date.now() + skew;

  beforeAll(async () => {
    env = await startLocalEnvironment({
      outreachUsers: USERS,
      upstreamTimeoutMs: 1000,
      stopOnSignals: false,
      tableName: 'exactly-once-property',
      queuePrefix: 'exactly-once-setup',
      simulator: {
        users: USERS,
        oauth: { mintIntervalSeconds: 0, accessTokenLifetimeSeconds: 90 * 86_400 },
        batches: { startDelaySeconds: 0, secondsPerItem: 0 },
      },
    });
    // One lane set for every run: each run leaves its lane and dead-letter queue empty.
    lanes = await createLaneQueues(env.clients.sqs, env.settings, 'exactly-once-runs');
    const client = localProducerClient(env);
    for (const user of USERS) {
      const id = `prospect-of-${user}-${process.pid}`;
      await client.enqueue({
        id,
        user,
        lane: 'critical',
        operation: { type: 'prospect.create', attributes: { emails: [`${id}@example.com`] } },
      });
      const setup = container(env.dispatcherEnvironment, new Map(), [], []);
      const drive = new HandDriver(env, setup as never);
      await drive.invoke('critical', await drive.receive('critical'));
      setup.close();
      const result = await client.getResult(id);
      if (result.result?.resourceId === undefined)
        throw new Error(`the prospect of ${user} was not created: ${JSON.stringify(result)}`);
      prospects.set(user, result.result.resourceId);
    }
  }, 120_000);

  afterAll(async () => {
    await env?.stop();
  });

  /** Every upstream request the run's dispatchers made and what Outreach answered. */
  interface Upstream {
    readonly method: string;
    readonly path: string;
    readonly body: string;
    readonly status: number;
  }

  function container(
    environment: DispatcherEnvironment,
    counters: Map<Point, number>,
    faults: readonly Fault[],
    log: Upstream[],
  ): Container {
    let dead = false;
    let die: () => void = () => {};
    const died = new Promise<void>((resolve) => {
      die = resolve;
    });
    /** Runs `call` at `point` unless a fault says otherwise. */
    const at = async <T>(point: Point, call: () => Promise<T>, deferred?: () => T): Promise<T> => {
      if (dead) return never;
      const n = (counters.get(point) ?? 0) + 1;
      counters.set(point, n);
      const fault = faults.find((f) => f.point === point && f.nth === n);
      if (fault?.mode === 'defer' && deferred) return deferred();
      if (fault?.mode === 'die-before') {
        dead = true;
        die();
        return never;
      }
      if (fault?.mode === 'throw-before') throw new Error(`simulated error before ${point}`);
      const value = await call();
      if (dead) return never;
      if (fault?.mode === 'die-after') {
        dead = true;
        die();
        return never;
      }
      if (fault?.mode === 'throw-after') throw new Error(`simulated error after ${point}`);
      return value;
    };
    const intents = (store: IntentStore): IntentStore => ({
      get: (id) => store.get(id),
      claim: (...args) => at('intents.claim', () => store.claim(...args)),
      reopen: (...args) => at('intents.reopen', () => store.reopen(...args)),
      succeed: (...args) => at('intents.succeed', () => store.succeed(...args)),
      release: (...args) => at('intents.release', () => store.release(...args)),
      deadLetter: (...args) => at('intents.deadLetter', () => store.deadLetter(...args)),
    });
    const gate = (store: GateStore): GateStore => ({
      acquire: (...args) =>
        at(
          'gate.acquire',
          () => store.acquire(...args),
          () => ({ kind: 'wait', untilMs: clock() + 60_000, reason: 'cooldown' }),
        ),
      release: (...args) => at('gate.release', () => store.release(...args)),
      snapshot: (...args) => store.snapshot(...args),
      waitForRelease: (...args) => store.waitForRelease(...args),
    });
    const upstreamFetch: typeof fetch = async (input, init) => {
      const url = new URL(String(input instanceof Request ? input.url : input));
      if (!url.pathname.startsWith('/api/v2')) return fetch(input, init);
      return at('upstream', async () => {
        const response = await fetch(input, init);
        log.push({
          method: init?.method ?? 'GET',
          path: url.pathname,
          body: typeof init?.body === 'string' ? init.body : '',
          status: response.status,
        });
        return response;
      });
    };
    const credentials = simulatorCredentials(USERS);
    const secrets = new InMemorySecretStore({
      [environment.appSecretArn]: JSON.stringify({
        clientId: credentials.clientId,
        clientSecret: credentials.clientSecret,
      }),
      ...Object.fromEntries(
        environment.config.users.map((user) => [
          refreshTokenSecretName(environment.refreshTokenSecretPrefix, user),
          credentials.refreshTokens[user] ?? '',
        ]),
      ),
    });
    // The lane queues' SQS client, whose requests can die or fail like the stores'.
    const sqs = createLocalSqsClient(env.endpoints.sqs);
    sqs.middlewareStack.add(
      (next, context) => async (args) => {
        const queueUrl = (args.input as { QueueUrl?: string }).QueueUrl ?? '';
        const point: Point | undefined =
          context.commandName === 'ChangeMessageVisibilityCommand'
            ? 'sqs.defer'
            : context.commandName === 'SendMessageCommand'
              ? queueUrl.includes('-dlq')
                ? 'sqs.deadLetter'
                : 'sqs.resend'
              : undefined;
        return point === undefined ? next(args) : at(point, () => next(args));
      },
      { step: 'initialize', name: 'injectFaults' },
    );
    const dynamodb = dynamoDbLocalClient(env.endpoints.dynamodb);
    const documents = DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } });
    const wired = wireDispatcher({
      environment,
      documents,
      sqs,
      secrets,
      metrics: new RecordingGateMetrics(),
      logger: QUIET_LOGGER,
      clock,
      fetch: upstreamFetch,
      decorateIntents: intents,
      decorateGate: gate,
    });
    return {
      handler: wired.handler,
      died,
      close: () => {
        dynamodb.destroy();
        sqs.destroy();
      },
    };
  }

  async function runScenario(scenario: Scenario): Promise<void> {
    runCounter += 1;
    const run = `r${process.pid}-${runCounter}`;
    const base = env.dispatcherEnvironment;
    const environment: DispatcherEnvironment = {
      ...base,
      lanes,
      config: {
        ...base.config,
        retries: {
          ...base.config.retries,
          maxFailureAttempts: 2,
          backoffBaseMs: 1,
          backoffMaxMs: 2,
          failureWindowMs: 0,
        },
        deferral: {
          ...base.config.deferral,
          maxInProcessWaitMs: 0,
          jitterMs: 0,
          recycleAtReceiveCount: scenario.recycleAt,
        },
      },
    };
    const queueUrl = lanes[LANE].queueUrl;
    const runEnv = { ...env, lanes, dispatcherEnvironment: environment } as LocalEnvironment;
    const log: Upstream[] = [];
    const counters = new Map<Point, number>();
    const containers: Container[] = [];
    const fresh = (faults: readonly Fault[]) => {
      const c = container(environment, counters, faults, log);
      containers.push(c);
      return c;
    };
    const sent = new Map<string, Set<string>>(); // id → payload emails/markers sent
    const otherGroup = new Set<string>();
    const deadLetterCopies: Message[] = [];
    let redrives = 0;
    const driver = new HandDriver(runEnv, { handler: async () => ({ batchItemFailures: [] }) } as never);
    const send = (intent: Intent, options: Parameters<HandDriver['send']>[1] = {}) => {
      sent.set(intent.id, (sent.get(intent.id) ?? new Set()).add(JSON.stringify(intent.operation)));
      return driver.send(intent, options);
    };
    const duplicatesBefore = env.simulator?.stats().total.duplicatesCreated ?? 0;

    const prospectId = prospects.get(scenario.user) as number;

    /** Intent `index` of the run; payload `b` is another payload under the same id. */
    function intentOf(index: number, payload: 'a' | 'b' = 'a'): Intent {
      const spec = scenario.intents[index];
      const id = `${run}-i${index}`;
      if (spec?.kind === 'bulk') {
        // A prospect that does not exist: the action is accepted (and counted) but enrols nobody, so runs sharing
        // a user never enrol one prospect twice.
        return {
          id,
          user: scenario.user,
          lane: LANE,
          operation: {
            type: 'batch.prospectsAddToSequence',
            prospectIds: [1_000_000 + runCounter],
            sequenceId: payload === 'a' ? 1 : 2,
            mailboxId: 1,
          },
        };
      }
      return spec?.kind === 'update'
        ? {
            id,
            user: scenario.user,
            lane: LANE,
            operation: { type: 'prospect.update' as const, prospectId, attributes: { title: `${id}-${payload}` } },
          }
        : {
            id,
            user: scenario.user,
            lane: LANE,
            operation: { type: 'prospect.create' as const, attributes: { emails: [`${id}-${payload}@example.com`] } },
          };
    }

    /** Invokes a container on messages as the event source mapping would; a container that dies returns nothing. */
    async function invoke(c: Container, messages: Message[]): Promise<'done' | 'died'> {
      if (messages.length === 0) return 'done';
      const records = messages.map((m) => toRecord(m, lanes[LANE].queueArn));
      const outcome = await Promise.race([
        c.handler({ Records: records }, HandDriver.context(5_000)).then((r) => ({ r })),
        c.died.then(() => 'died' as const),
      ]);
      if (outcome === 'died') {
        // The invocation timed out: its messages come back after their visibility timeout, its leases and
        // ownership expire. Time moves on past both.
        skew += 120_000;
        for (const m of messages) await visible(m);
        return 'died';
      }
      const failed = new Set(outcome.r.batchItemFailures.map((f) => f.itemIdentifier));
      for (const m of messages) {
        if (!failed.has(m.MessageId as string)) {
          await env.clients.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
        } else {
          await visible(m);
        }
      }
      return 'done';
    }
    async function visible(m: Message): Promise<void> {
      await env.clients.sqs
        .send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: queueUrl,
            ReceiptHandle: m.ReceiptHandle,
            VisibilityTimeout: 0,
          }),
        )
        .catch((error: unknown) => {
          if ((error as { name?: string }).name !== 'MessageNotInflight') throw error;
        });
    }

    // First sends, in order.
    for (let i = 0; i < scenario.intents.length; i++) await send(intentOf(i));

    let chaos = fresh(scenario.faults);
    let other = fresh(scenario.faults);
    for (const action of scenario.actions) {
      switch (action.kind) {
        case 'resend': {
          if (action.intent >= scenario.intents.length) break;
          const intent = intentOf(action.intent, action.variant === 'other-payload' ? 'b' : 'a');
          const prepared = prepareIntent(intent);
          if (action.variant === 'other-group') otherGroup.add(intent.id);
          await send(intent, {
            ...(action.variant === 'other-group' ? { groupId: `${run}-elsewhere` } : {}),
            // After SQS's 5-minute de-duplication window, a re-send is a new message (a new de-duplication id).
            ...(action.variant === 'after-window' ? { deduplicationId: `${prepared.deduplicationId}-later` } : {}),
            ...(action.variant === 'other-payload' ? { deduplicationId: `${prepared.deduplicationId}-other` } : {}),
          });
          break;
        }
        case 'step': {
          if ((await invoke(chaos, await driver.receive(LANE))) === 'died') chaos = fresh(scenario.faults);
          break;
        }
        case 'two-dispatchers': {
          const first = await driver.receive(LANE);
          const second = await driver.receive(LANE);
          const [a, b] = await Promise.all([invoke(chaos, first), invoke(other, second)]);
          if (a === 'died') chaos = fresh(scenario.faults);
          if (b === 'died') other = fresh(scenario.faults);
          break;
        }
        case 'redrive': {
          // On-call redrives what failed, but not an intent its record calls ambiguous (it may have been
          // performed): redriving that is a decision to perform it again.
          const copies = await driver.deadLetters(LANE);
          const producer = localProducerClient(runEnv);
          const ambiguous = await Promise.all(
            copies.map(async (m) => {
              const id = (JSON.parse(m.Body as string) as { id: string }).id;
              return (await producer.getResult(id)).deadLetterReason === 'ambiguous';
            }),
          );
          deadLetterCopies.push(...copies.filter((_, i) => ambiguous[i]));
          await driver.redrive(
            LANE,
            copies.filter((_, i) => !ambiguous[i]),
            `redrive-${redrives++}`,
          );
          break;
        }
      }
    }

    // Settle: no more faults, time past every lease and ownership, drain the lane.
    skew += 120_000;
    const clean = fresh([]);
    let rounds = 0;
    for (; rounds < 40; rounds++) {
      const messages = await driver.receive(LANE);
      if (messages.length === 0) break;
      await invoke(clean, messages);
    }
    for (const c of containers) c.close();
    deadLetterCopies.push(...(await driver.deadLetters(LANE)));

    // Checks.
    const client = localProducerClient(runEnv);
    const ids = [...sent.keys()];
    const results = await Promise.all(ids.map((id) => client.getResult(id)));
    const created = log.filter((u) => u.method === 'POST' && u.path.endsWith('/prospects') && u.status === 201);
    const createsPerId = new Map<string, number>();
    for (const u of created) {
      const id = ids.find((candidate) => u.body.includes(`"${candidate}-a@`) || u.body.includes(`"${candidate}-b@`));
      if (id) createsPerId.set(id, (createsPerId.get(id) ?? 0) + 1);
    }
    // At most one bulk action per run, so every accepted POST of one is that intent's.
    const bulkPosts = log.filter(
      (u) => u.method === 'POST' && u.path.includes('/batches/actions/') && u.status >= 200 && u.status < 300,
    ).length;
    const copyIds = deadLetterCopies.map((m) => ({
      id: (JSON.parse(m.Body as string) as { id: string }).id,
      reason: reasonOf(m),
    }));
    const unaccounted = results.filter(
      (r) =>
        r.status !== 'succeeded' &&
        !(r.status === 'dead-lettered' && r.deadLetterReason && copyIds.some((c) => c.id === r.id)),
    );
    const reused = ids.filter(
      (id) => (sent.get(id)?.size ?? 0) > 1 && !copyIds.some((c) => c.id === id && c.reason === 'id-reused'),
    );

    // Order per prospect: first successful update of each id, against the order they were first sent.
    const updates = scenario.intents
      .map((s, i) => (s.kind === 'update' ? `${run}-i${i}` : undefined))
      .filter((x): x is string => !!x);
    const orderApplies =
      scenario.recycleAt === 1000 &&
      updates.every((id) => !otherGroup.has(id) && results.find((r) => r.id === id)?.status === 'succeeded') &&
      !deadLetterCopies.some((m) => updates.includes((JSON.parse(m.Body as string) as { id: string }).id));
    const patched = log
      .filter((u) => u.method === 'PATCH' && u.status >= 200 && u.status < 300)
      .map((u) => updates.find((id) => u.body.includes(`"${id}-`)))
      .filter((id, i, all): id is string => !!id && all.indexOf(id) === i);

    expect({
      drained: rounds < 40,
      duplicatesCreated: (env.simulator?.stats().total.duplicatesCreated ?? 0) - duplicatesBefore,
      performedTwice: [...createsPerId].filter(([, n]) => n > 1),
      bulkActionsPerformed: Math.min(bulkPosts, 2),
      unaccounted,
      copiesWithoutReason: copyIds.filter((c) => !c.reason),
      reusedWithoutRefusal: reused,
      order: orderApplies ? patched : updates,
    }).toEqual({
      drained: true,
      duplicatesCreated: 0,
      performedTwice: [],
      bulkActionsPerformed: Math.min(bulkPosts, 1),
      unaccounted: [],
      copiesWithoutReason: [],
      reusedWithoutRefusal: [],
      order: updates,
    });
  }

  it(`GIVEN ${RUNS} random interleavings of sends, re-sends, redrives, crashes, deferrals, recycling and two dispatchers WHEN each settles THEN nothing is performed twice, nothing is lost and updates keep their order`, async () => {
    await fc.assert(fc.asyncProperty(scenarioArb, runScenario), { numRuns: RUNS, endOnFailure: true });
  }, 600_000);
});
