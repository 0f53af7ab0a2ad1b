import type { Context } from 'aws-lambda';
import { timeNeededMs } from '../../lambdas/dispatcher/dispatch';
import { type LocalDispatcher, localDispatcher, localProducerClient } from '../../local/dispatcher';
import { type LocalEnvironment, startLocalEnvironment } from '../../local/environment';
import { RecordingGateMetrics } from '../../local/recording-metrics';
import { HandDriver } from '../support/drive';
import { prospectCreate } from '../support/pipeline';

describe('the dispatcher within the function timeout', () => {
  let env: LocalEnvironment;
  let dispatcher: LocalDispatcher;
  let drive: HandDriver;
  const metrics = new RecordingGateMetrics();

  beforeAll(async () => {
    // The deployed defaults: a 60 s function timeout and a 10 s upstream request timeout; Outreach answers in 6 s,
    // so ten records in a row do not fit.
    env = await startLocalEnvironment({
      outreachUsers: ['u1'],
      stopOnSignals: false,
      simulator: { users: ['u1'], faults: { latencyMs: 6000 } },
    });
    dispatcher = localDispatcher(env, { metrics });
    drive = new HandDriver(env, dispatcher);
  }, 60_000);

  afterAll(async () => {
    dispatcher?.close();
    await env?.stop();
  });

  it('GIVEN a bulk batch of 10 and an Outreach answering in 6 s WHEN one invocation with 60 s runs it THEN it returns in time with every record settled or back on its queue, none failed', async () => {
    const intents = Array.from({ length: 10 }, (_, n) => prospectCreate(n));
    for (const intent of intents) await drive.send(intent);
    const messages = await drive.receive('bulk', 10);
    const timeoutMs = env.settings.dispatcherTimeoutSeconds * 1000;
    const context: Context = HandDriver.context(timeoutMs);

    const response = await drive.invoke('bulk', messages, { context });
    const leftAtReturn = context.getRemainingTimeInMillis();
    const returned = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
    const client = localProducerClient(env);
    const statuses = await Promise.all(intents.map(async (i) => (await client.getResult(i.id)).status));
    // Returned records are visible again at once: the next receive gets them without waiting.
    const again = await drive.receive('bulk', 10);

    env.simulator?.configure({ faults: { latencyMs: 0 } });
    await drive.invoke('bulk', again, { revive: true });
    await drive.drain('bulk');
    const finalStatuses = await Promise.all(intents.map(async (i) => (await client.getResult(i.id)).status));
    expect({
      timeout: timeoutMs,
      batch: messages.length,
      returnedInTime: leftAtReturn > 0,
      someSettled: statuses.filter((s) => s === 'succeeded').length > 0,
      someReturned: returned.size > 0,
      settledOrReturned: statuses.filter((s) => s === 'succeeded').length + returned.size,
      backOnQueue: again.length === returned.size,
      failures: metrics.count('failure'),
      finally: finalStatuses.filter((s) => s === 'succeeded').length,
      createdTwice: env.simulator?.stats().total.duplicatesCreated,
      deadLetters: (await drive.deadLetters('bulk')).length,
    }).toEqual({
      timeout: 60_000,
      batch: 10,
      returnedInTime: true,
      someSettled: true,
      someReturned: true,
      settledOrReturned: 10,
      backOnQueue: true,
      failures: 0,
      finally: 10,
      createdTwice: 0,
      deadLetters: 0,
    });
  }, 180_000);

  it('GIVEN the deployed settings THEN a record needs the upstream timeout plus a settle margin of the time left', () => {
    expect(timeNeededMs(env.dispatcherEnvironment.config)).toBe(12_000);
  });
});
