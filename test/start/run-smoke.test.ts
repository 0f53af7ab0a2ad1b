import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunResult, runScenario } from '../../local/run';
import { buildScenario } from '../../local/scenarios';

describe('runScenario: the smoke scenario end to end', () => {
  const reportDir = mkdtempSync(join(tmpdir(), 'outreach-gate-smoke-'));
  const scenario = buildScenario('smoke');
  let result: RunResult;

  beforeAll(async () => {
    result = await runScenario(scenario, { reportDir });
  }, 120_000);

  afterAll(() => rmSync(reportDir, { recursive: true, force: true }));

  it('GIVEN the smoke workload WHEN it has run THEN every invariant holds and the exit code is 0', () => {
    expect({
      lost: result.observations.intents.lost,
      duplicates: result.observations.intents.duplicatesCreated,
      withinCap: result.observations.upstream.maxInFlight <= result.observations.upstream.inFlightCap,
      broken: result.observations.invariants.filter((invariant) => !invariant.holds),
      exitCode: result.exitCode,
    }).toEqual({ lost: 0, duplicates: 0, withinCap: true, broken: [], exitCode: 0 });
  });

  it('GIVEN the smoke workload WHEN it has run THEN every enqueued intent is accounted for as succeeded or dead-lettered', () => {
    const { intents } = result.observations;
    expect({
      enqueued: intents.enqueued,
      accountedFor: intents.succeeded + intents.deadLettered,
    }).toEqual({ enqueued: scenario.workload.length, accountedFor: scenario.workload.length });
  });

  it("GIVEN the smoke workload WHEN it has run THEN the report's iam section shows checked calls of the dispatcher and the producer and no denial", () => {
    const iam = result.observations.iam;
    const total = (principal: string) => Object.values(iam?.checked[principal] ?? {}).reduce((a, b) => a + b, 0);
    expect({
      denied: iam?.denied,
      dispatcherChecked: total('dispatcher') > 0,
      producerChecked: total('producer') > 0,
      invariant: result.observations.invariants.find((invariant) => invariant.name === 'iam denied == 0')?.holds,
    }).toEqual({ denied: 0, dispatcherChecked: true, producerChecked: true, invariant: true });
  });

  it('GIVEN the smoke workload WHEN it has run THEN its figures count one completion event per settled intent, by detail-type, each checked as events:PutEvents', () => {
    const { intents, iam } = result.observations;
    expect({
      events: result.figures.completionEvents,
      putEventsChecked: iam?.checked.dispatcher?.['events:PutEvents'],
    }).toEqual({
      events: {
        ...(intents.succeeded > 0 ? { 'Intent Succeeded': intents.succeeded } : {}),
        ...(intents.deadLettered > 0 ? { 'Intent Dead-lettered': intents.deadLettered } : {}),
      },
      putEventsChecked: intents.succeeded + intents.deadLettered,
    });
  });

  it("GIVEN the smoke workload WHEN it has run THEN the report's timeouts section counts the invocations at the deployed 60 s timeout", () => {
    const timeouts = result.observations.timeouts;
    expect({
      functionTimeoutSeconds: timeouts?.functionTimeoutSeconds,
      invocations: timeouts?.invocations === result.figures.invocations.count,
      count: timeouts?.count,
    }).toEqual({ functionTimeoutSeconds: 60, invocations: true, count: 0 });
  });

  it('GIVEN a report directory WHEN the run ends THEN report.json (with its iam and timeouts sections) and report.html are written there', () => {
    const json = JSON.parse(readFileSync(join(reportDir, 'report.json'), 'utf8')) as {
      scenario: string;
      iam?: { denied: number };
      timeouts?: { count: number };
    };
    expect({
      scenario: json.scenario,
      html: existsSync(join(reportDir, 'report.html')),
      iamDenied: json.iam?.denied,
      timeouts: json.timeouts?.count,
    }).toEqual({ scenario: 'smoke', html: true, iamDenied: 0, timeouts: 0 });
  });
});
