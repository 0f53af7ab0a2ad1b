/**
 * `npm run outreach-sim -- [options]`: runs the Outreach simulator until Ctrl-C.
 *
 * Example: `npm run outreach-sim -- --port 8080 --users u1,u2 --budget 10000 --window-seconds 3600
 * --retry-after delta --penalty --concurrency-cap 10 --latency-ms 50`
 */
import { parseArgs } from 'node:util';
import { ConfigError, type SimulatorStartOptions, startOutreachSimulator } from './index';

const USAGE = `Usage: npm run outreach-sim -- [options]
  --host <ip>                      interface to bind (default 127.0.0.1)
  --port <n>                       port, 0 = any free port (default 8080)
  --users <u1,u2>                  Outreach users (default u1); refresh token refresh-<user>
  --budget <n>                     requests per window per user (default 10000)
  --window-seconds <s>             window length (default 3600)
  --mode fixed|leaky               window mode (default fixed)
  --time-scale <x>                 scale of Outreach durations (default window-seconds/3600)
  --retry-after delta|epoch|http-date|none   Retry-After on 429 (default delta)
  --reset-header epoch|delta       X-RateLimit-Reset format (default epoch)
  --no-rate-limit-headers          leave out X-RateLimit-* headers
  --penalty                        requests during a cool-down extend it
  --concurrency-cap <n>            429 above n requests in flight per user
  --rejected-consume-budget        refused requests use up budget too
  --latency-ms <ms>                added latency   --latency-jitter-ms <ms>  random extra latency
  --error-rate <p>                 probability of a 500   --reset-rate <p>  probability of a connection reset
  --duplicate-sequence-state create|reject   second active enrolment (default create)
  --config <json>                  any config as JSON (applied last), e.g. '{"faults":{"slowRate":0.1}}'
  --no-control-api                 do not serve /__sim/*
  --help`;

function number(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed)) throw new ConfigError([`--${name} must be a number`]);
  return parsed;
}

/** Turns command-line arguments into simulator options. */
export function optionsFromArgs(args: string[]): SimulatorStartOptions | 'help' {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      users: { type: 'string' },
      budget: { type: 'string' },
      'window-seconds': { type: 'string' },
      mode: { type: 'string' },
      'time-scale': { type: 'string' },
      'retry-after': { type: 'string' },
      'reset-header': { type: 'string' },
      'no-rate-limit-headers': { type: 'boolean' },
      penalty: { type: 'boolean' },
      'concurrency-cap': { type: 'string' },
      'rejected-consume-budget': { type: 'boolean' },
      'latency-ms': { type: 'string' },
      'latency-jitter-ms': { type: 'string' },
      'error-rate': { type: 'string' },
      'reset-rate': { type: 'string' },
      'duplicate-sequence-state': { type: 'string' },
      config: { type: 'string' },
      'no-control-api': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const options: Record<string, unknown> = {
    host: values.host,
    port: number('port', values.port) ?? 8080,
    users: values.users
      ?.split(',')
      .map((user) => user.trim())
      .filter(Boolean),
    budget: number('budget', values.budget),
    windowSeconds: number('window-seconds', values['window-seconds']),
    mode: values.mode,
    timeScale: number('time-scale', values['time-scale']),
    retryAfter: values['retry-after'],
    resetHeader: values['reset-header'],
    rateLimitHeaders: values['no-rate-limit-headers'] ? false : undefined,
    concurrencyCap: number('concurrency-cap', values['concurrency-cap']),
    rejectedRequestsConsumeBudget: values['rejected-consume-budget'] || undefined,
    controlApi: values['no-control-api'] ? false : undefined,
    penalty: values.penalty ? { enabled: true } : undefined,
    resources: values['duplicate-sequence-state']
      ? { duplicateSequenceState: values['duplicate-sequence-state'] }
      : undefined,
    faults: {
      latencyMs: number('latency-ms', values['latency-ms']),
      latencyJitterMs: number('latency-jitter-ms', values['latency-jitter-ms']),
      errorRate: number('error-rate', values['error-rate']),
      resetRate: number('reset-rate', values['reset-rate']),
    },
  };
  if (values.config) {
    const extra = JSON.parse(values.config) as Record<string, unknown>;
    for (const [key, value] of Object.entries(extra)) {
      const current = options[key];
      options[key] =
        typeof current === 'object' && current !== null && typeof value === 'object' && value !== null
          ? { ...current, ...value }
          : value;
    }
  }
  return JSON.parse(JSON.stringify(options)) as SimulatorStartOptions;
}

async function main(): Promise<void> {
  let options: SimulatorStartOptions | 'help';
  try {
    options = optionsFromArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  if (options === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const sim = await startOutreachSimulator(options).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
    return null;
  });
  if (!sim) return;
  const config = sim.stats().config;
  process.stdout.write(
    [
      `Outreach simulator listening on ${sim.url}`,
      `  API         ${sim.apiBaseUrl}`,
      `  token URL   ${sim.tokenUrl}  (client ${config.oauth.clientId} / ${config.oauth.clientSecret})`,
      `  users       ${config.users.map((user) => `${user} (refresh-${user})`).join(', ')}`,
      `  budget      ${config.budget} per ${config.windowSeconds} s, ${config.mode}${config.penalty.enabled ? ', penalty mode' : ''}`,
      `  stats       ${sim.url}/__sim/stats`,
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
  const shutdown = (): void => {
    sim.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

if (require.main === module) void main();
