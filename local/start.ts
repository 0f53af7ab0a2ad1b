/**
 * `npm start`: the whole gate on one machine in one command. Starts the emulators and the Outreach simulator,
 * runs a scenario's workload through the real dispatcher, shows it live, writes a report and says whether every
 * invariant held. `npm start -- --help` lists the options.
 */
import { resolve } from 'node:path';
import { type ProgressView, plainProgressView, terminalProgressView } from './live-view';
import { RunAbortedError, type RunResult, runScenario } from './run';
import { buildScenario } from './scenarios';
import { parseStartArgs, USAGE, UsageError } from './start-args';

const MIB = 1024 * 1024;

/** The figures a run prints at the end, one per line. */
export function summaryLines(result: RunResult): string[] {
  const { observations: o, figures: f } = result;
  const ms = (value: number) => `${(value / 1000).toFixed(1)} s`;
  const simulated = (value: number) => `${(value / 60_000).toFixed(1)} simulated min`;
  const bulkP50 = o.lanes.bulk.waitP50Ms;
  const criticalShare =
    bulkP50 > 0 ? `${((o.lanes.critical.waitP99Ms / bulkP50) * 100).toFixed(1)}% of bulk p50` : 'no bulk waits';
  return [
    `intents: ${o.intents.enqueued} enqueued, ${o.intents.succeeded} succeeded, ${o.intents.deadLettered} dead-lettered, ${o.intents.lost} lost; ${o.intents.duplicatesCreated} created twice`,
    `upstream: ${o.upstream.calls} calls, ${o.upstream.status429} 429s (at most ${f.max429PerUserWindow} per user per window), at most ${o.upstream.maxInFlight} in flight (cap ${o.upstream.inFlightCap})`,
    `clearance: ${simulated(o.clearance.actualMs)} against an ideal of ${simulated(o.clearance.idealMs)} (ratio ${o.clearance.ratio.toFixed(2)})`,
    `waits: critical p99 ${simulated(o.lanes.critical.waitP99Ms)} (${criticalShare}), standard p50 ${simulated(o.lanes.standard.waitP50Ms)}, bulk p50 ${simulated(bulkP50)}`,
    `DynamoDB: ${o.dynamodb.requestsPerIntent.toFixed(1)} requests per intent; deferrals ${JSON.stringify(f.deferrals)}; ${f.invocations.count} dispatcher invocations of ${(f.invocations.records / Math.max(1, f.invocations.count)).toFixed(1)} records on average, at most ${f.invocations.peakConcurrency} at once`,
    `IAM: ${f.iam.calls} AWS calls checked against the stack's policies (${iamByPrincipal(f.iam)}); ${f.iam.denied} denied`,
    `completion events: ${
      Object.entries(f.completionEvents)
        .map(([detailType, n]) => `${n} ${detailType}`)
        .join(', ') || 'none'
    }`,
    `Lambda: ${f.timeouts.count} of ${f.timeouts.invocations} invocations timed out at ${f.timeouts.functionTimeoutSeconds} s; ${f.timeouts.throttles} throttled`,
    ...(o.pump
      ? [
          `pump: lanes paused ${o.pump.pauses} times while every user cooled down over ${simulated(o.pump.pauseAfterMs)}, resumed ${o.pump.resumes} times; ${o.pump.receivesAvoided} receives avoided`,
        ]
      : []),
    `run: ready in ${ms(f.readyMs)}, first intent settled at ${f.firstSettledMs === null ? '—' : ms(f.firstSettledMs)}, ${ms(f.wallMs)} in all, peak memory ${(f.peakRssBytes / MIB).toFixed(0)} MiB (with the emulators)`,
  ];
}

/** `dispatcher 812 (sqs:ReceiveMessage 300, …), producer 40 (…)`. */
function iamByPrincipal(iam: RunResult['figures']['iam']): string {
  return Object.entries(iam.checked)
    .map(([principal, actions]) => {
      const total = Object.values(actions).reduce((a, b) => a + b, 0);
      const each = Object.entries(actions)
        .map(([action, n]) => `${action} ${n}`)
        .join(', ');
      return `${principal} ${total}: ${each}`;
    })
    .join('; ');
}

async function main(argv: readonly string[]): Promise<number> {
  let command: ReturnType<typeof parseStartArgs>;
  let scenario: ReturnType<typeof buildScenario>;
  try {
    command = parseStartArgs(argv);
    if (command.kind === 'help') {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    scenario = buildScenario(command.scenario, {
      ...(command.users && { users: command.users }),
      ...(command.timeScale !== undefined && { timeScale: command.timeScale }),
    });
  } catch (error) {
    if (error instanceof UsageError || (error as Error).name === 'ScenarioError') {
      process.stderr.write(`npm start: ${(error as Error).message}\nRun "npm start -- --help" for the options.\n`);
      return 2;
    }
    throw error;
  }

  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = () => {
    interrupts += 1;
    if (interrupts > 1) process.exit(130);
    process.stderr.write('\nstopping: waiting for the dispatcher and the emulators to stop (Ctrl-C again to force)\n');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const tty = process.stdout.isTTY === true;
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const view: ProgressView = tty ? terminalProgressView() : plainProgressView(log);
  log(`scenario ${scenario.name}: ${scenario.summary}`);
  log(
    `${scenario.workload.length} intents for ${scenario.settings.users.join(', ')}; an hour of Outreach time takes ${(3600 / scenario.timeScale).toFixed(0)} s`,
  );
  try {
    const result = await runScenario(scenario, {
      reportDir: resolve(command.reportDir),
      signal: controller.signal,
      launchedAt: Math.round(performance.timeOrigin),
      onProgress: (progress) => view.update(progress),
      log: (line) => {
        if (!tty) log(line);
      },
      ...(command.durationSeconds !== undefined && { durationSeconds: command.durationSeconds }),
      ...(command.outreach && { outreach: command.outreach }),
    });
    view.stop();
    for (const line of summaryLines(result)) log(line);
    for (const invariant of result.observations.invariants) {
      log(`${invariant.holds ? '✓' : '✗'} ${invariant.name}: ${invariant.detail}`);
    }
    if (result.report) log(`report: ${result.report.htmlPath} (data: ${result.report.jsonPath})`);
    log(result.exitCode === 0 ? 'verdict: every invariant held' : 'verdict: an invariant was broken (see above)');
    return result.exitCode;
  } catch (error) {
    view.stop();
    if (error instanceof RunAbortedError) {
      process.stderr.write(`${error.message}\n`);
      return 130;
    }
    process.stderr.write(`npm start: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`npm start: ${(error as Error).stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
}
