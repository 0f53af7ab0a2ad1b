import { ChangeMessageVisibilityCommand } from '@aws-sdk/client-sqs';
import type { IntentResult } from '../../lambdas/shared/intent-record';
import { type LocalDispatcher, localDispatcher, localProducerClient } from '../../local/dispatcher';
import { type LocalEnvironment, startLocalEnvironment } from '../../local/environment';
import type { RunningSimulator } from '../../local/outreach-sim';
import { RecordingGateMetrics } from '../../local/recording-metrics';
import { HandDriver } from '../support/drive';
import { prospectCreate } from '../support/pipeline';

/**
 * A dispatcher that crashes mid-attempt, after its request to create a prospect went out and before it could act
 * on Outreach's answer, on DynamoDB Local, the SQS emulator and the Outreach simulator. Either way — the process
 * dies (its invocation never returns) or it throws an error nobody expected — a crash is not a failure of the
 * intent: no failed attempt is counted, and the next receive reads the prospect back instead of creating it again.
 */

/**
 * How long the crashing invocation has: its ownership of the intent's record lapses then. Ample, so that even a
 * loaded machine still starts the request (the dispatcher starts none without the upstream timeout and a margin).
 */
const INVOCATION_MS = 10_000;

const never = new Promise<never>(() => {});

/** Metrics that throw, once, when told to on recording an upstream answer. */
class MetricsThatThrow extends RecordingGateMetrics {
  constructor(private readonly throwsOn: (status: number | 'timeout') => boolean) {
    super();
  }

  override upstream(...args: Parameters<RecordingGateMetrics['upstream']>): void {
    super.upstream(...args);
    if (this.throwsOn(args[0])) throw new Error('unexpected error while recording the answer');
  }
}

/**
 * Where a dispatcher crashes: right after Outreach answered its first prospect create. It `dies` while reading the
 * answer (its invocation never returns), or `throws` an error nobody expected as soon as it has the answer (the
 * metrics sink fails on it, before the dispatcher looks at it).
 */
class CrashAfterCreate {
  /** The id of the prospect Outreach created in the crashed attempt. */
  createdId: number | undefined;
  /** Resolves once the crash happened. */
  readonly happened: Promise<void>;
  /** The metrics of every dispatcher of the scenario. */
  readonly metrics: RecordingGateMetrics;
  private crashed = false;
  private announce: () => void = () => {};

  constructor(how: 'dies' | 'throws') {
    this.happened = new Promise((resolve) => {
      this.announce = resolve;
    });
    this.metrics = new MetricsThatThrow(
      (status) => how === 'throws' && status === 201 && this.createdId !== undefined && this.crashOnce(),
    );
    this.fetch = async (input, init) => {
      const response = await fetch(input, init);
      const url = new URL(input instanceof Request ? input.url : String(input));
      if (this.createdId !== undefined || init?.method !== 'POST' || !url.pathname.endsWith('/prospects')) {
        return response;
      }
      const body = await response.text();
      this.createdId = Number((JSON.parse(body) as { data: { id: number | string } }).data.id);
      if (how === 'dies' && this.crashOnce()) return never;
      return new Response(body, { status: response.status, headers: response.headers });
    };
  }

  /** Outreach's and the token endpoint's fetch, which sees the prospect created (and dies, in `dies`). */
  readonly fetch: typeof fetch;

  /** True the first time only: the dispatcher crashes once. */
  private crashOnce(): boolean {
    if (this.crashed) return false;
    this.crashed = true;
    this.announce();
    return true;
  }
}

describe('dispatcher: a crash after the create went out and before its answer was acted on', () => {
  let env: LocalEnvironment;
  let sim: RunningSimulator;
  const dispatchers: LocalDispatcher[] = [];

  beforeAll(async () => {
    env = await startLocalEnvironment({
      outreachUsers: ['u1'],
      stopOnSignals: false,
      upstreamTimeoutMs: 1000,
      simulator: { users: ['u1'] },
    });
    sim = env.simulator as RunningSimulator;
  }, 120_000);

  afterAll(async () => {
    for (const dispatcher of dispatchers) dispatcher.close();
    await env?.stop();
  });

  const dispatcher = (options: Parameters<typeof localDispatcher>[1]) => {
    const built = localDispatcher(env, options);
    dispatchers.push(built);
    return new HandDriver(env, built);
  };

  /**
   * Sends `intent`, lets a dispatcher that crashes as `crash` says take it, then lets a healthy one receive it again
   * once the crashed invocation has ended and the message is visible again. Returns the intent's result.
   */
  async function crashThenRecover(intent: ReturnType<typeof prospectCreate>, crash: CrashAfterCreate) {
    const crashing = dispatcher({ metrics: crash.metrics, fetch: crash.fetch });
    await crashing.send(intent);
    const [message] = await crashing.receive('standard');
    if (message === undefined) throw new Error(`the message of ${intent.id} was not received`);
    const invocationEnds = Date.now() + INVOCATION_MS;
    const invocation = crashing.invoke('standard', [message], { context: HandDriver.context(INVOCATION_MS) });
    await Promise.race([crash.happened, invocation]);
    if (crash.createdId === undefined) throw new Error(`the dispatcher did not crash on ${intent.id}`);
    // A process that died returns nothing: its invocation ends at the timeout, and the message comes back after
    // its visibility timeout. One that threw reports the record failed, and the message comes back the same way.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, invocationEnds - Date.now()) + 100));
    await env.clients.sqs
      .send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: env.lanes.standard.queueUrl,
          ReceiptHandle: message.ReceiptHandle,
          VisibilityTimeout: 0,
        }),
      )
      .catch(() => undefined);
    await dispatcher({ metrics: crash.metrics }).drain('standard');
    return localProducerClient(env).getResult(intent.id);
  }

  describe.each(['dies', 'throws'] as const)('when the dispatcher %s', (how) => {
    const crash = new CrashAfterCreate(how);
    const intent = { ...prospectCreate(how === 'dies' ? 1 : 2, 'standard'), id: `crash-after-send-${how}` };
    let result: IntentResult;
    let createdBefore = 0;

    beforeAll(async () => {
      createdBefore = sim.stats().total.byStatus['201'] ?? 0;
      result = await crashThenRecover(intent, crash);
      console.log(`crash (${how}): ${JSON.stringify({ createdId: crash.createdId, result })}`);
    }, 120_000);

    it(`GIVEN Outreach created the prospect WHEN the dispatcher ${how} before acting on the answer THEN the next receive reads that prospect back and Outreach holds it once`, () => {
      expect({
        status: result.status,
        resourceId: result.result?.resourceId,
        readBack: result.result?.httpStatus,
        created: (sim.stats().total.byStatus['201'] ?? 0) - createdBefore,
        duplicates: sim.stats().total.duplicatesCreated,
      }).toEqual({ status: 'succeeded', resourceId: crash.createdId, readBack: 200, created: 1, duplicates: 0 });
    });

    it(`GIVEN Outreach created the prospect WHEN the dispatcher ${how} before acting on the answer THEN no failed attempt is counted and nothing is dead-lettered`, () => {
      expect({
        failureAttempts: result.failureAttempts,
        lastError: result.lastError,
        failures: crash.metrics.count('failure'),
        deadLettered: crash.metrics.count('deadLettered'),
      }).toEqual({ failureAttempts: 0, lastError: undefined, failures: 0, deadLettered: 0 });
    });
  });
});
