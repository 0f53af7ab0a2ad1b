/**
 * A quick chaos run: the local pipeline, dispatchers in child processes, every fault injected once. Waiting is
 * never failing: nothing is lost, nothing is created twice, and no call is made while Outreach said to wait.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runChaos } from '../../local/chaos/run';
import { FAULT_KINDS } from '../../local/chaos/schedule';
import type { ChaosReport } from '../../local/chaos/tally';
import { writeChaosReport } from '../../local/chaos/write';

describe('chaos run (quick)', () => {
  jest.setTimeout(600_000);
  let report: ChaosReport;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'chaos-test-'));
    report = await runChaos({ mode: 'quick', seed: 7 });
    await writeChaosReport(dir, report);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('GIVEN every fault injected WHEN the run has drained THEN no intent is lost', () => {
    expect(report.tally.lostIds).toEqual([]);
    expect(report.tally.succeeded + report.tally.deadLettered).toBe(report.tally.enqueued);
  });

  test('GIVEN a workload of valid intents and faults that all heal WHEN the run ends THEN none was dead-lettered', () => {
    expect(report.tally.deadLetteredByReason).toEqual({});
  });

  test('GIVEN a dispatcher killed mid-batch and its messages redelivered WHEN the run ends THEN no record was created twice', () => {
    expect(report.tally.createdTwice).toBe(0);
  });

  test('GIVEN Outreach in penalty mode WHEN the run ends THEN no call was made during a cool-down', () => {
    expect(report.tally.callsDuringCooldown).toBe(0);
  });

  test('GIVEN the schedule WHEN the run ends THEN every fault started and ended, and the killed worker was replaced', () => {
    expect(report.faults.map((fault) => fault.kind).sort()).toEqual([...FAULT_KINDS].sort());
    for (const fault of report.faults) expect(fault.endedMs).toBeGreaterThanOrEqual(fault.startedMs);
    expect(report.workerRestarts).toBeGreaterThanOrEqual(1);
  });

  test('GIVEN the report WHEN written THEN chaos.json holds the tally and chaos.md a row per fault', () => {
    const json = JSON.parse(readFileSync(join(dir, 'chaos.json'), 'utf8')) as ChaosReport;
    expect(json.tally.enqueued).toBe(report.tally.enqueued);
    expect(existsSync(join(dir, 'chaos.md'))).toBe(true);
    const markdown = readFileSync(join(dir, 'chaos.md'), 'utf8');
    for (const kind of FAULT_KINDS) expect(markdown).toContain(`| ${kind} |`);
  });
});
