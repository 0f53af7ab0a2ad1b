/**
 * The Outreach simulator: a fast, scriptable stand-in for the Outreach REST API (JSON:API resources,
 * per-user budgets and cool-downs, OAuth refresh tokens, injectable faults) with its own statistics.
 * Used by tests, the local pipeline and benchmarks; `npm run outreach-sim` runs it from the command line.
 *
 * @example
 * const sim = await startOutreachSimulator({ users: ['u1'], budget: 100, windowSeconds: 2 });
 * // … point a client at sim.apiBaseUrl / sim.tokenUrl (client sim-client / sim-secret, refresh token refresh-u1)
 * console.log(sim.stats().users.u1?.status429);
 * await sim.stop();
 */
import { OutreachSimulator, type RunningSimulator, type SimulatorStartOptions } from './server';

export type {
  BatchesConfig,
  DerivedTimings,
  FaultStatus,
  FaultsConfig,
  OAuthConfig,
  PenaltyConfig,
  ResetHeaderFormat,
  ResourcesConfig,
  RetryAfterFormat,
  SimulatorConfig,
  SimulatorConfigPatch,
  WindowMode,
} from './config';
export { ConfigError, defaultConfig } from './config';
export type {
  RunningSimulator,
  SimulatorOptions,
  SimulatorRuntimeOptions,
  SimulatorStartOptions,
} from './server';
export type {
  CooldownRecord,
  RequestCounters,
  SimulatorStats,
  StatusKey,
  TimelineEntry,
  UserStats,
} from './stats';
export { developmentRefreshToken } from './tokens';

/**
 * Starts a simulator (by default on 127.0.0.1 and a free port) and resolves once it accepts connections.
 * Options not given take Outreach's documented defaults (10,000 requests per hour per user, 2-hour tokens…).
 * Throws {@link ConfigError} for invalid options.
 */
export async function startOutreachSimulator(options: SimulatorStartOptions = {}): Promise<RunningSimulator> {
  return new OutreachSimulator(options).listen();
}
