/**
 * `npm run bench -- [--quick] [--scenario NAME] [--out DIR]`: the gate against what teams use today. For each
 * scenario, each contender (naive services, services behind `bottleneck`, services sharing clustered `bottleneck`
 * limiters on a Redis the benchmark starts, the gate) runs against a fresh
 * Outreach simulator with the scenario's configuration and intents; the results are written as `bench.json`,
 * `bench.md` and `bench.html` in the output directory (default `./bench-out/`).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildScenario, injectsFaults, isScenarioName, SCENARIO_NAMES, type Scenario } from '../local/scenarios';
import { assembleBench, type ScenarioRuns } from './assemble';
import { runBottleneck } from './contenders/bottleneck';
import { runBottleneckCluster } from './contenders/bottleneck-cluster';
import { runGate } from './contenders/gate';
import { runNaive } from './contenders/naive';
import { US_EAST_1_PRICES } from './pricing';
import { renderHtml, renderMarkdown } from './render';
import { scaleScenario, scenarioIdealMs } from './scale';
import type { BenchJson, ContenderName, ContenderResult } from './types';

/** The scenarios a benchmark runs unless one is named. */
export const BENCH_SCENARIOS = [
  'seed-002',
  'bulk-and-urgent',
  'unknown-limits',
  'flaky-upstream',
  'many-users',
  'bulk-enrol',
] as const;

/**
 * Scenarios where Outreach's limit holds every direct contender to a few requests per wall second (bulk-enrol: a
 * two-hour workload of single requests at an hour per 15 wall minutes): their three direct contenders run side by
 * side without competing for the machine, and wait for their intents at most `maxIdeal` times the ideal (naive and
 * the clustered limiter clear bulk-enrol at about 1.02), so that
 * a contender held to a share of the budget (bottleneck: a third per service) is stopped with its unfinished
 * intents counted rather than holding the benchmark for hours.
 */
export const LIGHT_DIRECT_SCENARIOS: Readonly<Record<string, { readonly maxIdeal: number }>> = {
  'bulk-enrol': { maxIdeal: 1.1 },
};

/** How long a direct contender waits for its intents, in ideals, unless the scenario says otherwise. */
const DIRECT_MAX_IDEAL = 4;

/** How much `--quick` scales every scenario down (a k-th of the intents and budget, k times faster). */
export const QUICK_FACTOR = 8;

/** The benchmark's options. */
export interface BenchOptions {
  readonly quick: boolean;
  readonly scenarios: readonly string[];
  readonly outDir: string;
  /** Told about each step in one plain line. @default - written to stderr */
  readonly log?: (line: string) => void;
}

/** Raised for command-line input the benchmark cannot use; the message says what is wrong. */
export class BenchUsageError extends Error {
  override readonly name = 'BenchUsageError';
}

const USAGE = `usage: npm run bench -- [--quick] [--scenario NAME] [--out DIR]
  --quick          scale every scenario down by ${QUICK_FACTOR} (a k-th of the intents and budget, k times faster)
  --scenario NAME  run one scenario (${SCENARIO_NAMES.join(', ')}); default: ${BENCH_SCENARIOS.join(', ')}
  --out DIR        where bench.json, bench.md and bench.html go (default ./bench-out)`;

/**
 * The options the command line asks for.
 * @throws BenchUsageError naming an unknown option or scenario.
 */
export function parseBenchArgs(argv: readonly string[]): BenchOptions | 'help' {
  let values: { quick?: boolean; scenario?: string; out?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        quick: { type: 'boolean' },
        scenario: { type: 'string' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new BenchUsageError(`${(error as Error).message}\n${USAGE}`);
  }
  if (values.help) return 'help';
  if (values.scenario !== undefined && !isScenarioName(values.scenario)) {
    throw new BenchUsageError(`unknown scenario "${values.scenario}"; scenarios are ${SCENARIO_NAMES.join(', ')}`);
  }
  if (values.out !== undefined && values.out.trim() === '') throw new BenchUsageError('--out must name a directory');
  return {
    quick: values.quick ?? false,
    scenarios: values.scenario !== undefined ? [values.scenario] : [...BENCH_SCENARIOS],
    outDir: resolve(values.out ?? 'bench-out'),
  };
}

/** Where the benchmark wrote its results, and what they were. */
export interface BenchOutput {
  readonly bench: BenchJson;
  readonly jsonPath: string;
  readonly markdownPath: string;
  readonly htmlPath: string;
}

/** Runs one contender on a scenario. */
async function runContender(
  contender: ContenderName,
  scenario: Scenario,
  idealMs: number,
  log: (line: string) => void,
): Promise<ContenderResult> {
  // The direct contenders wait at most a few times the ideal (in wall time) plus 20 s for their intents to settle.
  const maxIdeal = LIGHT_DIRECT_SCENARIOS[scenario.name]?.maxIdeal ?? DIRECT_MAX_IDEAL;
  const maxWallMs = (maxIdeal * idealMs) / scenario.timeScale + 20_000;
  switch (contender) {
    case 'naive':
      return runNaive(scenario, { maxWallMs, log });
    case 'bottleneck':
      return runBottleneck(scenario, { maxWallMs, log });
    case 'bottleneck-cluster':
      return runBottleneckCluster(scenario, { maxWallMs, log });
    case 'gate':
      return runGate(scenario, { log: (line) => log(`gate: ${line}`) });
  }
}

/** Runs every scenario with every contender and writes `bench.json`, `bench.md` and `bench.html`. */
export async function runBenchmark(options: BenchOptions): Promise<BenchOutput> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const started = Date.now();
  const runs: ScenarioRuns[] = [];
  const users: Record<string, readonly string[]> = {};
  for (const name of options.scenarios) {
    const built = buildScenario(name);
    const scenario = options.quick ? scaleScenario(built, QUICK_FACTOR) : built;
    const idealMs = scenarioIdealMs(scenario);
    users[name] = scenario.settings.users;
    log(
      `${name}: ${scenario.workload.length} intents, ideal ${(idealMs / 60_000).toFixed(1)} simulated min (${(idealMs / scenario.timeScale / 1000).toFixed(1)} s wall)`,
    );
    const results: ContenderResult[] = [];
    const errors: Record<string, string> = {};
    const record = (contender: ContenderName, outcome: PromiseSettledResult<ContenderResult>) => {
      if (outcome.status === 'fulfilled') {
        const result = outcome.value;
        log(
          `${name} / ${contender}: clearance ${(result.clearanceMs / idealMs).toFixed(2)}× ideal, ${result.succeeded} succeeded, ${result.lost} lost, ${result.status429} × 429, ${(result.wallMs / 1000).toFixed(1)} s wall`,
        );
        results.push(result);
      } else {
        const reason = outcome.reason instanceof Error ? outcome.reason.message : String(outcome.reason);
        log(`${name} / ${contender}: did not finish: ${reason}`);
        errors[contender] = reason;
      }
    };
    // The two direct contenders are light (HTTP to their own simulators) and run side by side; the gate runs
    // alone, so its emulators have the machine to themselves.
    // Bottleneck's clustering runs Lua in a Redis of its own for every job: alone, so Redis has a core, unless
    // Outreach's limit keeps every direct contender light.
    const together = LIGHT_DIRECT_SCENARIOS[name] !== undefined;
    const direct = await Promise.allSettled([
      runContender('naive', scenario, idealMs, log),
      runContender('bottleneck', scenario, idealMs, log),
      ...(together ? [runContender('bottleneck-cluster', scenario, idealMs, log)] : []),
    ]);
    record('naive', direct[0] as PromiseSettledResult<ContenderResult>);
    record('bottleneck', direct[1] as PromiseSettledResult<ContenderResult>);
    const [cluster] = together
      ? [direct[2]]
      : await Promise.allSettled([runContender('bottleneck-cluster', scenario, idealMs, log)]);
    record('bottleneck-cluster', cluster as PromiseSettledResult<ContenderResult>);
    const [gate] = await Promise.allSettled([runContender('gate', scenario, idealMs, log)]);
    record('gate', gate as PromiseSettledResult<ContenderResult>);
    runs.push({
      name,
      idealMs,
      penalty: scenario.simulator.penalty?.enabled ?? false,
      rateLimitHeaders: scenario.simulator.rateLimitHeaders ?? true,
      injectedFaults: injectsFaults(scenario),
      summary: scenario.summary,
      limitPerHour: (scenario.settings.budgetPerWindow * 3600) / scenario.settings.windowSimulatedSeconds,
      results,
      errors,
    });
  }
  const machineCpus = cpus();
  const bench = assembleBench(
    {
      machine: `${machineCpus[0]?.model.trim() ?? 'unknown CPU'} × ${machineCpus.length}, Node ${process.version}`,
      date: new Date().toISOString(),
      quick: options.quick,
    },
    runs,
  );
  const command = `npm run bench --${options.quick ? ' --quick' : ''}${options.scenarios.length === 1 ? ` --scenario ${options.scenarios[0]}` : ''}`;
  await mkdir(options.outDir, { recursive: true });
  const jsonPath = join(options.outDir, 'bench.json');
  const markdownPath = join(options.outDir, 'bench.md');
  const htmlPath = join(options.outDir, 'bench.html');
  await writeFile(jsonPath, `${JSON.stringify(bench, null, 2)}\n`);
  await writeFile(
    markdownPath,
    renderMarkdown(bench, runs, {
      prices: US_EAST_1_PRICES,
      command,
      wallSeconds: (Date.now() - started) / 1000,
    }),
  );
  await writeFile(htmlPath, await renderHtml(bench, runs, users));
  log(`wrote ${jsonPath}, ${markdownPath} and ${htmlPath} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return { bench, jsonPath, markdownPath, htmlPath };
}

async function main(): Promise<void> {
  let options: BenchOptions | 'help';
  try {
    options = parseBenchArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  if (options === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  await runBenchmark(options);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(
      `benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  });
}
