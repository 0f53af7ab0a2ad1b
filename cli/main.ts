/**
 * `outreach-gate`: the operator's command line. `outreach-gate --help` lists the commands.
 */
import { CommanderError } from 'commander';
import { buildProgram } from './program';

/** Runs the program on `argv` and resolves with the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram({
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
  }).exitOverride();
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    process.stderr.write(`outreach-gate: ${(error as Error).message}\n`);
    return 1;
  }
}

/** Runs the program on this process's arguments and exits with its code. */
export function run(): void {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}

if (require.main === module) run();
