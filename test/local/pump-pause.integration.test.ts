import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProgram } from '../../cli/program';
import type { IntentResult } from '../../lambdas/shared/intent-record';
import { type LocalDispatcher, localDispatcher, localProducerClient } from '../../local/dispatcher';
import { type LocalEnvironment, startLocalEnvironment } from '../../local/environment';
import { LOCAL_CONTROL_FILE, readPausedLanes } from '../../local/local-run-file';
import { RecordingGateMetrics } from '../../local/recording-metrics';
import { EventSourceMappingRunner } from '../../local/runner/event-source-mapping';
import { type RunPump, startRunPump } from '../../local/runner/run-pump';
import { prospectCreate } from '../support/pipeline';

/** Simulated ms per wall ms: 120 s of Outreach time (the threshold) is 2 s here, the monitor's minute 1 s. */
const TIME_SCALE = 60;
/** How long the simulator keeps the API down for maintenance, announcing when it ends: a long cool-down. */
const MAINTENANCE_MS = 20_000;

/** The parts of `status --json` read here. */
interface StatusJson {
  readonly lanes: { readonly lane: string; readonly receiving: string }[];
  readonly users: {
    readonly user: string;
    readonly cooldownRemainingMs: number;
    readonly cooldownUntil: string | null;
  }[];
}

describe('the local runner pauses the pump while every user cools down longer than the threshold', () => {
  const reportDir = mkdtempSync(join(tmpdir(), 'outreach-gate-pump-'));
  let env: LocalEnvironment;
  let dispatcher: LocalDispatcher;
  let pump: RunPump;
  let runner: EventSourceMappingRunner;
  let results: IntentResult[];
  /** Every lane the control file listed as paused at some sample while the run went. */
  const pausedWhileDown = new Set<string>();
  let maintenanceEnd = 0;
  /** What `outreach-gate --local DIR status --json` printed once every lane was paused. */
  let statusWhilePaused: StatusJson | undefined;

  async function status(): Promise<StatusJson> {
    const out: string[] = [];
    await buildProgram({ out: (text) => out.push(text), err: () => undefined })
      .exitOverride()
      .parseAsync(['--local', reportDir, 'status', '--json'], { from: 'user' });
    return JSON.parse(out.join('')) as StatusJson;
  }

  beforeAll(async () => {
    env = await startLocalEnvironment({
      outreachUsers: ['u1'],
      pumpPauseAfterSeconds: 120,
      stopOnSignals: false,
      simulator: { users: ['u1'] },
    });
    dispatcher = localDispatcher(env, { metrics: new RecordingGateMetrics() });
    pump = startRunPump(env, reportDir, dispatcher.sqs, {
      config: env.dispatcherEnvironment.config,
      timeScale: TIME_SCALE,
    });
    runner = new EventSourceMappingRunner({
      sqs: pump.sqs,
      settings: env.settings,
      queues: env.lanes,
      handler: dispatcher.handler,
      onError: () => {},
    });
    maintenanceEnd = Date.now() + MAINTENANCE_MS;
    env.simulator?.configure({ faults: { maintenance: { untilEpochMs: maintenanceEnd } } });
    runner.start();
    const intents = [prospectCreate(1, 'bulk'), prospectCreate(2, 'critical')];
    const client = localProducerClient(env);
    await client.enqueueMany(intents);
    const deadline = Date.now() + 90_000;
    for (;;) {
      results = await Promise.all(intents.map((intent) => client.getResult(intent.id)));
      const controlFile = join(reportDir, LOCAL_CONTROL_FILE);
      for (const lane of readPausedLanes(controlFile)) pausedWhileDown.add(lane);
      if (pausedWhileDown.size === 3 && statusWhilePaused === undefined) statusWhilePaused = await status();
      if (results.every((result) => result.status === 'succeeded') || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }, 150_000);

  afterAll(async () => {
    await pump?.stop();
    await runner?.stop();
    dispatcher?.close();
    await env?.stop();
    rmSync(reportDir, { recursive: true, force: true });
  }, 60_000);

  it('GIVEN the simulator down for maintenance longer than the threshold WHEN the runner ticks THEN every lane stopped receiving', () => {
    expect([...pausedWhileDown].sort()).toEqual(['bulk', 'critical', 'standard']);
  });

  it('GIVEN lanes paused WHEN their receives come due THEN they are counted as avoided in the report', () => {
    expect(pump.counts()?.receivesAvoided).toBeGreaterThan(0);
  });

  it('GIVEN the maintenance ended WHEN the runner ticks THEN every lane resumed and every intent succeeded', () => {
    expect({
      statuses: results.map((result) => result.status),
      paused: readPausedLanes(join(reportDir, LOCAL_CONTROL_FILE)),
      counts: { pauses: pump.counts()?.pauses, resumes: pump.counts()?.resumes },
    }).toEqual({ statuses: ['succeeded', 'succeeded'], paused: [], counts: { pauses: 3, resumes: 3 } });
  });

  it('GIVEN the lanes paused during the run WHEN on-call runs status THEN it shows the cool-down the simulator imposed and the lanes paused', () => {
    const u1 = statusWhilePaused?.users.find((user) => user.user === 'u1');
    const until = Date.parse(u1?.cooldownUntil ?? '');
    expect({
      coolingDown: (u1?.cooldownRemainingMs ?? 0) > 0,
      endsWithTheMaintenance: Math.abs(until - maintenanceEnd) <= 2_000,
      lanes: statusWhilePaused?.lanes.map((lane) => lane.receiving),
    }).toEqual({ coolingDown: true, endsWithTheMaintenance: true, lanes: ['paused', 'paused', 'paused'] });
  });
});
