import { localDispatcher, localProducerClient, QUIET_LOGGER } from '../../local/dispatcher';
import { localIamCheck } from '../../local/iam/local-check';
import { RecordingCompletionEvents } from '../../local/recording-completion-events';
import { RecordingGateMetrics } from '../../local/recording-metrics';
import { HandDriver } from '../support/drive';
import { type Pipeline, prospectCreate, startPipeline } from '../support/pipeline';

const enrolRefused = (n: number) => ({
  id: `enrol-refused-${n}`,
  user: 'u1',
  lane: 'standard' as const,
  operation: { type: 'sequenceState.create' as const, prospectId: 1, sequenceId: 1, mailboxId: 999 },
});

describe('completion events in the pipeline', () => {
  let pipeline: Pipeline;

  beforeAll(async () => {
    pipeline = await startPipeline({
      outreachUsers: ['u1'],
      completionEvents: true,
      simulator: { users: ['u1'] },
      config: (c) => ({ ...c, retries: { ...c.retries, backoffBaseMs: 50, backoffMaxMs: 200 } }),
    });
  }, 60_000);

  afterAll(async () => {
    await pipeline?.stop();
  });

  it('GIVEN intents that succeed, are refused and wait after 503s WHEN all settle THEN each gets exactly one event of its outcome, and waiting publishes none', async () => {
    pipeline.env.simulator?.configure({ faults: { errorBurst: { status: 503, count: 3 } } });
    const creates = Array.from({ length: 8 }, (_, n) => prospectCreate(n));
    const refused = [enrolRefused(1), enrolRefused(2)];
    await pipeline.client.enqueueMany([...creates, ...refused]);
    const results = await pipeline.settle(
      [...creates, ...refused].map((i) => i.id),
      60_000,
    );
    const events = pipeline.completions.events;
    const eventsById = new Map<string, string[]>();
    for (const e of events) eventsById.set(e.detail.id, [...(eventsById.get(e.detail.id) ?? []), e.detailType]);
    const refusedEvent = events.find((e) => e.detail.id === 'enrol-refused-1');
    expect({
      eventsPerIntent: results.map((r) => [r.id, r.status, eventsById.get(r.id)]),
      events: events.length,
      counts: pipeline.completions.countsByDetailType(),
      deferred: pipeline.metrics.count('deferral') > 0,
      refusedOutcome: refusedEvent?.detail.outcome,
      putEventsChecked: pipeline.iam.check.ledger().checked.dispatcher?.['events:PutEvents'],
    }).toEqual({
      eventsPerIntent: [
        ...creates.map((i) => [i.id, 'succeeded', ['Intent Succeeded']]),
        ...refused.map((i) => [i.id, 'dead-lettered', ['Intent Dead-lettered']]),
      ],
      events: 10,
      counts: { 'Intent Succeeded': 8, 'Intent Dead-lettered': 2 },
      deferred: true,
      refusedOutcome: {
        status: 'dead-lettered',
        reason: 'rejected',
        httpStatus: 422,
        outreachErrorId: 'validationError',
      },
      putEventsChecked: 10,
    });
  }, 90_000);

  it('GIVEN a dispatcher the stack does not allow to put events WHEN an intent succeeds THEN the publish is denied by the IAM check, logged and counted, and the intent stays succeeded, created once', async () => {
    // The lanes are driven by hand from here on; the stack checked against has completion events off, so its
    // dispatcher role may not put events.
    await pipeline.runner.stop();
    const { env } = pipeline;
    const iam = localIamCheck({ ...env, settingsInput: { ...env.settingsInput, completionEvents: false } });
    const metrics = new RecordingGateMetrics();
    const errors: string[] = [];
    const dispatcher = localDispatcher(env, {
      metrics,
      completions: new RecordingCompletionEvents(iam.caller('dispatcher')),
      logger: { ...QUIET_LOGGER, error: (message) => errors.push(message) },
    });
    try {
      const drive = new HandDriver(env, dispatcher);
      const createdBefore = env.simulator?.stats().total.byStatus['201'] ?? 0;
      const intent = prospectCreate(1, 'critical');
      await drive.send(intent);
      await drive.drain('critical');
      const result = await localProducerClient(env).getResult(intent.id);
      const { denials } = iam.check.ledger();
      expect({
        status: result.status,
        created: (env.simulator?.stats().total.byStatus['201'] ?? 0) - createdBefore,
        denied: denials.map((d) => [d.principal, d.action]),
        counted: metrics.count('completionEventFailed', 'Intent Succeeded'),
        logged: errors.filter((m) => m.includes('completion event')).length,
        deadLetters: (await drive.deadLetters('critical')).length,
      }).toEqual({
        status: 'succeeded',
        created: 1,
        denied: [['dispatcher', 'events:PutEvents']],
        counted: 1,
        logged: 1,
        deadLetters: 0,
      });
    } finally {
      dispatcher.close();
    }
  }, 90_000);
});
