import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { isLane, LANES, type Lane } from '../lambdas/shared/names';
import { OutreachGateClient } from '../lib/client';
import { formatDeadLetterSummary, summariseDeadLetters } from './dead-letter-summary';
import { peekDeadLetters, selectedLanes } from './dead-letters';
import { formatImportSummary, importIntents } from './import';
import { formatRowProblems, ImportFileError, parseOperationType, rowsOf, validateRows } from './import-rows';
import { pauseLanes, resumeLanes } from './lane-pauses';
import { readLaneStatus } from './lane-status';
import { localTarget, readLocalRun } from './local-target';
import { silentProgress, terminalProgress } from './progress';
import { redactJson } from './redact';
import { formatRedriveSummary, redrive } from './redrive';
import { parseRate } from './redrive-pace';
import { stackClients, stackTarget } from './stack-target';
import { readStatus } from './status';
import { formatStatus, statusJson } from './status-format';
import { type OperateTarget, TargetError } from './target';

/** Where a command's output goes; the process's streams unless a caller captures them. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
}

/** The global options that choose the target. */
export interface TargetOptions {
  readonly stack?: string;
  readonly local?: string | true;
  readonly region?: string;
}

/** How the program finds its target from the global options. */
export type TargetLoader = (options: TargetOptions) => OperateTarget | Promise<OperateTarget>;

/**
 * The default loader: `--stack NAME` reads the deployed stack's outputs (the usual AWS credential and region
 * chain, or `--region`); otherwise `--local [DIR]` reads the run file `npm start` wrote.
 */
export const loadTarget: TargetLoader = (options) => {
  if (options.stack !== undefined && options.local !== undefined) {
    throw new TargetError('give either --stack NAME or --local, not both');
  }
  if (options.stack !== undefined) return stackTarget(options.stack, stackClients(options.region));
  if (options.region !== undefined) throw new TargetError('--region applies only with --stack NAME');
  const dir = options.local === undefined || options.local === true ? 'report' : options.local;
  return localTarget(readLocalRun(dir), `local run (${dir})`);
};

function laneOption(value: string): Lane {
  if (!isLane(value)) throw new InvalidArgumentError(`must be one of ${LANES.join(', ')}`);
  return value;
}

const laneFlag = () => new Option('--lane <lane>', 'only this lane').argParser(laneOption);

/** The `outreach-gate` program: every command, with the target and output injectable. */
export function buildProgram(output: Output, load: TargetLoader = loadTarget): Command {
  const program = new Command('outreach-gate')
    .description('Operate the Outreach gate: see its state, work its dead-letter queues, pause lanes, import intents.')
    .option('--stack <name>', 'a deployed stack (its CloudFormation outputs)')
    .option('--region <region>', "the deployed stack's region (default: the AWS SDK's region chain)")
    .option('--local [dir]', 'the local run "npm start" is running: the report folder it writes to (default: report)')
    .configureOutput({ writeOut: output.out, writeErr: output.err })
    .showHelpAfterError();

  const withTarget = async (run: (target: OperateTarget) => Promise<void>): Promise<void> => {
    const target = await load(program.opts<TargetOptions>());
    try {
      await run(target);
    } finally {
      target.close();
    }
  };

  program
    .command('status')
    .description(
      'per lane: depth, in flight, oldest age, dead letters; per user: cool-down, budget, leases, circuit, credentials',
    )
    .option('--json', 'machine-readable output')
    .option('--watch [seconds]', 'refresh every few seconds until interrupted')
    .action((options: { json?: boolean; watch?: string | true }) =>
      withTarget(async (target) => {
        const every = options.watch === undefined ? undefined : Number(options.watch === true ? 5 : options.watch);
        if (every !== undefined && !(every > 0))
          throw new InvalidArgumentError('--watch must be a positive number of seconds');
        for (;;) {
          const report = await readStatus(target);
          const text = options.json ? `${JSON.stringify(statusJson(report), null, 2)}\n` : formatStatus(report);
          output.out(every !== undefined && !options.json && process.stdout.isTTY ? `\x1b[2J\x1b[H${text}` : text);
          if (every === undefined) return;
          await new Promise((resolve) => setTimeout(resolve, every * 1000));
        }
      }),
    );

  const dlq = program.command('dlq').description("the lanes' dead-letter queues");
  dlq
    .command('list')
    .description(
      'dead letters counted by lane and reason, with samples (messages are read and released, never deleted)',
    )
    .addOption(laneFlag())
    .option('--json', 'machine-readable output')
    .action((options: { lane?: Lane; json?: boolean }) =>
      withTarget(async (target) => {
        const groups = summariseDeadLetters(await peekDeadLetters(target.sqs, target.lanes, options.lane));
        output.out(options.json ? `${JSON.stringify(groups, null, 2)}\n` : formatDeadLetterSummary(groups));
      }),
    );
  dlq
    .command('show <id>')
    .description('one dead letter by message id or intent id: why it is there and the intent')
    .addOption(laneFlag())
    .action((id: string, options: { lane?: Lane }) =>
      withTarget(async (target) => {
        const letters = await peekDeadLetters(target.sqs, target.lanes, options.lane);
        const letter = letters.find((each) => each.messageId === id || each.intentId === id);
        if (letter === undefined) {
          throw new TargetError(
            `no dead letter with message id or intent id "${id}" in ${selectedLanes(options.lane).join(', ')}`,
          );
        }
        const { receiptHandle: _receipt, queueUrl: _queue, body, ...described } = letter;
        let intent: unknown = body;
        try {
          intent = JSON.parse(body);
        } catch {
          // A body that is not JSON is shown as it is.
        }
        output.out(`${JSON.stringify(redactJson({ ...described, intent }), null, 2)}\n`);
      }),
    );
  dlq
    .command('redrive')
    .description("move dead letters back onto their lane, within the users' budgets (resumable)")
    .addOption(laneFlag())
    .option('--reason <reason>', 'only dead letters with this reason')
    .option('--rate <rate>', '"auto" (never more than the budget left; holds users cooling down) or N/s', 'auto')
    .action((options: { lane?: Lane; reason?: string; rate: string }) => {
      const rate = parseRate(options.rate);
      return withTarget(async (target) => {
        const lanes = await readLaneStatus(target.sqs, target.lanes, target.lanesSwitch);
        const expected = lanes
          .filter((each) => options.lane === undefined || each.lane === options.lane)
          .reduce((sum, each) => sum + each.deadLetters, 0);
        const summary = await redrive({
          expected,
          sqs: target.sqs,
          dynamodb: target.dynamodb,
          tableName: target.tableName,
          lanes: target.lanes,
          config: target.config,
          rate,
          progress: terminalProgress('redrive'),
          ...(options.lane && { lane: options.lane }),
          ...(options.reason !== undefined && { reason: options.reason }),
        });
        output.out(formatRedriveSummary(summary));
      });
    });

  for (const [name, verb] of [
    ['pause', 'stop receiving from the lanes until you resume them (the monitor never resumes them)'],
    ['resume', 'start receiving again from the lanes, whoever paused them'],
  ] as const) {
    program
      .command(name)
      .description(`${verb}: their event source mappings`)
      .addOption(laneFlag())
      .action((options: { lane?: Lane }) =>
        withTarget(async (target) => {
          const lanes = selectedLanes(options.lane);
          if (name === 'pause') await pauseLanes(target, lanes, Date.now());
          else await resumeLanes(target, lanes);
          const states = await target.lanesSwitch.states();
          output.out(`${lanes.map((lane) => `${lane}: ${states[lane]}`).join('\n')}\n`);
        }),
      );
  }

  program
    .command('import <file>')
    .description('validate every row of a .csv or .jsonl file as an intent, then enqueue them (resumable by id)')
    .addOption(new Option('--lane <lane>', 'the lane every row waits on').argParser(laneOption).default('bulk'))
    .requiredOption('--user <user>', 'the Outreach user every row acts as')
    .requiredOption('--operation <type>', 'the operation of every row, e.g. prospect.update')
    .option('--skip-invalid', 'send the valid rows even when some are not')
    .action((file: string, options: { lane: Lane; user: string; operation: string; skipInvalid?: boolean }) => {
      const defaults = { lane: options.lane, user: options.user, operation: parseOperationType(options.operation) };
      const { intents, problems } = validateRows(rowsOf(file, readFileSync(file, 'utf8')), defaults);
      const lines = formatRowProblems(problems);
      if (lines.length > 0) output.err(`${lines.join('\n')}\n`);
      if (problems.length > 0 && !options.skipInvalid) {
        throw new ImportFileError(
          `${problems.length} invalid rows; nothing was sent (--skip-invalid sends the valid ones)`,
        );
      }
      return withTarget(async (target) => {
        const client = new OutreachGateClient({
          laneUrls: Object.fromEntries(LANES.map((lane) => [lane, target.lanes[lane].queueUrl])) as Record<
            Lane,
            string
          >,
          tableName: target.tableName,
          sqs: target.sqs,
          dynamodb: target.dynamodb,
        });
        const startedAt = Date.now();
        const summary = await importIntents(
          client,
          intents,
          process.stderr.isTTY ? terminalProgress('import') : silentProgress,
        );
        output.out(formatImportSummary(summary, (Date.now() - startedAt) / 1000));
        if (problems.length > 0) output.out(`skipped ${problems.length} invalid rows\n`);
      });
    });

  return program;
}
