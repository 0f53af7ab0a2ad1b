import type { RunningSimulator, SimulatorStartOptions } from '../../local/outreach-sim';
import { compressGateConfig } from '../../local/run';
import { type Pipeline, type PipelineOptions, sharedPipeline } from './pipeline';

/**
 * The environment the attack tests share: one pipeline per test file, on DynamoDB Local, the SQS emulator and the
 * Outreach simulator, started before the file's first test and stopped after its last. Each test measures what it
 * changed, so the tests of a file run one after the other on the same pipeline.
 */
export type AttackPipelineOptions = Omit<PipelineOptions, 'outreachUsers' | 'simulator'> & {
  /** The gate's users, who are also the simulator's. */
  readonly users: readonly string[];
  /**
   * How many times faster than real time Outreach's clock runs. The gate's budget window shrinks with it, and so do
   * its timings (cool-down, backoff, circuit breaker, failure window, token mint interval) unless `config` says
   * otherwise, as `npm run chaos` runs. @default - real time
   */
  readonly timeScale?: number;
  /** The simulator's other options. @default - its defaults */
  readonly simulator?: Omit<SimulatorStartOptions, 'users' | 'timeScale'>;
};

/** The running pipeline of an attack test file, available from its first test on. */
export interface AttackPipeline {
  readonly pipeline: Pipeline;
  readonly sim: RunningSimulator;
  /** How many prospects Outreach has created so far (its 201 answers). */
  created(): number;
}

/** Starts the pipeline before the enclosing block's first test and stops it after its last. */
export function attackPipeline(options: AttackPipelineOptions): AttackPipeline {
  const shared = sharedPipeline(pipelineOptions(options));
  const sim = () => shared.pipeline.env.simulator as RunningSimulator;
  return {
    get pipeline() {
      return shared.pipeline;
    },
    get sim() {
      return sim();
    },
    created: () => sim().stats().total.byStatus['201'] ?? 0,
  };
}

function pipelineOptions(options: AttackPipelineOptions): PipelineOptions {
  const { users, timeScale, simulator, ...rest } = options;
  return {
    ...(timeScale === undefined
      ? {}
      : { budgetWindowSeconds: 3600 / timeScale, config: (c) => compressGateConfig(c, timeScale) }),
    ...rest,
    outreachUsers: [...users],
    simulator: { ...simulator, users: [...users], ...(timeScale === undefined ? {} : { timeScale: 1 / timeScale }) },
  };
}

/** Polls until `done` holds, or fails naming what it waited for. */
export async function waitUntil(
  what: string,
  done: () => boolean | Promise<boolean>,
  timeoutMs: number,
  pollMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
