/**
 * The benchmark end to end on the smallest scenario, scaled down: every contender runs against its own fresh
 * simulator and the gate through the local pipeline; the outputs are written and complete. No timings asserted.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseBenchArgs, runBenchmark } from '../../bench/run';
import { type BenchJson, CONTENDERS } from '../../bench/types';
import { buildScenario } from '../../local/scenarios';

const FIELDS = [
  'clearanceMs',
  'clearanceRatio',
  'succeeded',
  'lost',
  'duplicatesCreated',
  'status429',
  'max429PerUserWindow',
  'max429PerUserWindowAfterFirst',
  'callsDuringCooldown',
  'bulkEnrolmentsSucceeded',
  'enrolmentsPerHourPerLimit',
  'firstRetryAfterMs',
  'maxRetryAfterMs',
  'maxInFlight',
  'inFlightCap',
  'criticalWaitP50Ms',
  'criticalWaitP99Ms',
  'laneWaitsMs',
  'upstreamCallsPerIntent',
  'dynamodbRequestsPerIntent',
  'usdPerMillionIntents',
  'retryRatio',
  'producerSpreadStdevMs',
  'producerSpreadRangeMs',
  'producerFinishMs',
  'longestWaitMs',
  'timeToClearMs',
];

describe('npm run bench -- --quick --scenario smoke', () => {
  let dir: string;
  let bench: BenchJson;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'outreach-gate-bench-'));
    const options = parseBenchArgs(['--quick', '--scenario', 'smoke', '--out', dir]);
    if (options === 'help') throw new Error('expected options, got help');
    await runBenchmark({ ...options, log: () => {} });
    bench = JSON.parse(await readFile(join(dir, 'bench.json'), 'utf8')) as BenchJson;
  }, 120_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each(CONTENDERS)('GIVEN the run WHEN bench.json is read THEN %s has every field', (contender) => {
    const entry = bench.scenarios.smoke?.contenders[contender] as Record<string, unknown> | undefined;
    // Only the gate makes AWS calls and runs on Lambda: it alone reports IAM checks and timeouts.
    const fields = contender === 'gate' ? [...FIELDS, 'iam', 'timeouts'] : FIELDS;
    expect(Object.keys(entry ?? {}).sort()).toEqual([...fields].sort());
  });

  it('GIVEN the run WHEN bench.json is read THEN the gate lost nothing and created nothing twice', () => {
    expect(bench.scenarios.smoke?.contenders.gate).toMatchObject({ lost: 0, duplicatesCreated: 0 });
  });

  it('GIVEN the run WHEN bench.json is read THEN the gate made no call AWS would deny, and both principals were checked', () => {
    const iam = bench.scenarios.smoke?.contenders.gate?.iam;
    expect({
      denied: iam?.denied,
      dispatcherChecked: (iam?.byPrincipal.dispatcher ?? 0) > 0,
      producerChecked: (iam?.byPrincipal.producer ?? 0) > 0,
    }).toEqual({ denied: 0, dispatcherChecked: true, producerChecked: true });
  });

  it("GIVEN the run WHEN bench.json is read THEN the gate's scorecard has every producer's completion and a spread", () => {
    const gate = bench.scenarios.smoke?.contenders.gate;
    const producers = [...new Set(buildScenario('smoke').workload.map((item) => item.producer))].sort();
    expect({
      producers: Object.keys(gate?.producerFinishMs ?? {}).sort(),
      stdev: typeof gate?.producerSpreadStdevMs,
      range: typeof gate?.producerSpreadRangeMs,
    }).toEqual({ producers, stdev: 'number', range: 'number' });
  });

  it('GIVEN the run WHEN bench.json is read THEN every contender has a cell for lost in the targets', () => {
    const lost = bench.targets.find((row) => row.scenario === 'smoke' && row.metric === 'lost');
    expect(Object.keys(lost?.contenders ?? {})).toEqual([...CONTENDERS]);
  });

  it.each(['bench.md', 'bench.html'])('GIVEN the run WHEN the output directory is listed THEN %s exists', (file) => {
    expect(existsSync(join(dir, file))).toBe(true);
  });
});

describe('parseBenchArgs', () => {
  it.each([
    ['an unknown scenario', ['--scenario', 'nope'], /unknown scenario "nope"/],
    ['an unknown option', ['--fast'], /Unknown option '--fast'/],
  ])('GIVEN %s WHEN parsed THEN the error names it', (_, argv, message) => {
    expect(() => parseBenchArgs(argv)).toThrow(message);
  });
});
