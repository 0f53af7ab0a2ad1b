/**
 * The command line of `npm start`, parsed and checked without starting anything, so every bad argument gets a
 * message naming it before a single process is launched.
 */
import { parseArgs } from 'node:util';
import type { LocalCredentials } from './dispatcher';
import { SCENARIO_NAMES, SEED_USER } from './scenarios';

/** What `npm start` was asked to do. */
export interface StartCommand {
  readonly kind: 'run';
  readonly scenario: string;
  readonly users?: readonly string[];
  readonly timeScale?: number;
  readonly durationSeconds?: number;
  readonly reportDir: string;
  /** An Outreach-compatible endpoint and its credentials, instead of the simulator. */
  readonly outreach?: { readonly url: string; readonly credentials: LocalCredentials };
}

/** `--help`. */
export interface HelpCommand {
  readonly kind: 'help';
}

/** Raised for a bad argument; the message names it. Exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The usage text `--help` prints. */
export const USAGE = `Usage: npm start -- [options]

Runs the whole gate on this machine — DynamoDB Local, an SQS emulator, the Outreach simulator and the real
dispatcher — drives a scenario's workload through it, shows it live and writes a report.

Options:
  --scenario NAME          ${SCENARIO_NAMES.join(', ')} (default: demo)
  --users u1,u2            Outreach users to spread the workload over (default: the scenario's)
  --time-scale N           simulated ms per wall-clock ms, ≥ 1; 120 plays an hour in 30 s (default: the scenario's)
  --duration SECONDS       longest wait for every intent to settle, from the first enqueue
                           (default: three times the ideal clearance, plus a minute)
  --report-dir DIR         where report.json and report.html go (default: ./report/)
  --outreach-url URL       an Outreach-compatible origin to use instead of the simulator (its API under /api/v2,
                           its token endpoint at /oauth/token); needs the three options below
  --client-id ID           OAuth client id for --outreach-url
  --client-secret SECRET   OAuth client secret for --outreach-url
  --refresh-token U=TOKEN  a user's refresh token for --outreach-url; repeat it for each user
  -h, --help               show this text

Exit status: 0 when every invariant held (nothing lost, nothing created twice, never more than the cap in
flight), 1 when one did not, 2 for bad arguments, 130 when stopped with Ctrl-C.`;

const USER_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;

function positiveNumber(name: string, text: string | undefined, minimum: number): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < minimum) {
    throw new UsageError(`${name} must be a number ≥ ${minimum}, got "${text}"`);
  }
  return value;
}

function usersOf(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  const users = text.split(',').map((user) => user.trim());
  for (const user of users) {
    if (!USER_PATTERN.test(user)) {
      throw new UsageError(
        `--users entry "${user}" must be 1–64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit`,
      );
    }
    if (user === SEED_USER) throw new UsageError(`--users must not name "${SEED_USER}": the simulator uses it`);
  }
  if (new Set(users).size !== users.length) throw new UsageError(`--users lists a user twice: "${text}"`);
  return users;
}

function outreachOf(
  values: { 'outreach-url'?: string; 'client-id'?: string; 'client-secret'?: string; 'refresh-token'?: string[] },
  users: readonly string[] | undefined,
): StartCommand['outreach'] {
  const url = values['outreach-url'];
  const tokens = values['refresh-token'] ?? [];
  if (url === undefined) {
    for (const name of ['client-id', 'client-secret'] as const) {
      if (values[name] !== undefined) throw new UsageError(`--${name} is only used with --outreach-url`);
    }
    if (tokens.length > 0) throw new UsageError('--refresh-token is only used with --outreach-url');
    return undefined;
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--outreach-url must be an http(s) URL, got "${url}"`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new UsageError(`--outreach-url must be an http(s) URL, got "${url}"`);
  }
  const clientId = values['client-id'];
  const clientSecret = values['client-secret'];
  if (!clientId) throw new UsageError('--client-id is required with --outreach-url');
  if (!clientSecret) throw new UsageError('--client-secret is required with --outreach-url');
  const refreshTokens: Record<string, string> = {};
  for (const entry of tokens) {
    const at = entry.indexOf('=');
    const user = entry.slice(0, at);
    const token = entry.slice(at + 1);
    if (at <= 0 || token === '') throw new UsageError(`--refresh-token must be USER=TOKEN, got "${entry}"`);
    if (!USER_PATTERN.test(user)) throw new UsageError(`--refresh-token names an invalid user "${user}"`);
    if (refreshTokens[user] !== undefined) throw new UsageError(`--refresh-token gives user "${user}" twice`);
    refreshTokens[user] = token;
  }
  if (Object.keys(refreshTokens).length === 0) {
    throw new UsageError('--refresh-token USER=TOKEN is required with --outreach-url, once per user');
  }
  for (const user of users ?? []) {
    if (refreshTokens[user] === undefined) throw new UsageError(`--refresh-token is missing for user "${user}"`);
  }
  return { url, credentials: { clientId, clientSecret, refreshTokens } };
}

/**
 * Parses `npm start`'s arguments. Pure: nothing is started.
 * @throws UsageError naming the bad argument.
 */
export function parseStartArgs(argv: readonly string[]): StartCommand | HelpCommand {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help' };
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"; options start with --`);
  const scenario = values.scenario ?? 'demo';
  if (!(SCENARIO_NAMES as readonly string[]).includes(scenario)) {
    throw new UsageError(`--scenario must be one of ${SCENARIO_NAMES.join(', ')}, got "${scenario}"`);
  }
  let users = usersOf(values.users);
  const outreach = outreachOf(values, users);
  // Against another Outreach, the users are the ones there are refresh tokens for unless --users says otherwise.
  if (outreach && users === undefined) users = Object.keys(outreach.credentials.refreshTokens);
  const reportDir = values['report-dir'] ?? './report/';
  if (reportDir.trim() === '') throw new UsageError('--report-dir must not be empty');
  const timeScale = positiveNumber('--time-scale', values['time-scale'], 1);
  const durationSeconds = positiveNumber('--duration', values.duration, 1);
  return {
    kind: 'run',
    scenario,
    reportDir,
    ...(users !== undefined && { users }),
    ...(timeScale !== undefined && { timeScale }),
    ...(durationSeconds !== undefined && { durationSeconds }),
    ...(outreach !== undefined && { outreach }),
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: true,
    options: {
      scenario: { type: 'string' },
      users: { type: 'string' },
      'time-scale': { type: 'string' },
      duration: { type: 'string' },
      'report-dir': { type: 'string' },
      'outreach-url': { type: 'string' },
      'client-id': { type: 'string' },
      'client-secret': { type: 'string' },
      'refresh-token': { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
