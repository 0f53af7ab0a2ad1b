/**
 * `npm run chaos`: drives a workload through the local pipeline while every fault is injected at a seeded random
 * time, then writes `chaos.json` and `chaos.md`. Exits 1 when an intent was lost, a record was created twice or a
 * call was made during a cool-down.
 */
import { randomInt } from 'node:crypto';
import { Command, InvalidArgumentError } from 'commander';
import { runChaos } from './run';
import { chaosMarkdown, writeChaosReport } from './write';

function integer(value: string): number {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < 0)
    throw new InvalidArgumentError(`expected a whole number ≥ 0, got "${value}"`);
  return parsed;
}

const program = new Command()
  .name('npm run chaos --')
  .description('Run the local pipeline under injected faults and account for every intent')
  .option('--quick', 'a few hundred intents (for CI) instead of a few thousand')
  .option('--seed <n>', 'seed of the workload and the fault times (printed, to repeat a run)', integer)
  .option('--out <dir>', 'where chaos.json and chaos.md are written', 'report')
  .action(async (options: { quick?: boolean; seed?: number; out: string }) => {
    const seed = options.seed ?? randomInt(1, 1_000_000);
    const mode = options.quick ? 'quick' : 'full';
    console.log(`chaos ${mode} run, seed ${seed} (repeat it with --seed ${seed})`);
    const report = await runChaos({ mode, seed, log: (line) => console.log(line) });
    const paths = await writeChaosReport(options.out, report);
    console.log(`\n${chaosMarkdown(report)}\nwritten to ${paths.jsonPath} and ${paths.markdownPath}`);
    const { lost, createdTwice, callsDuringCooldown } = report.tally;
    process.exitCode = lost === 0 && createdTwice === 0 && callsDuringCooldown === 0 ? 0 : 1;
  });

program.parseAsync().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
