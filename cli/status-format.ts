import { formatDuration, table } from './format';
import type { LaneStatus } from './lane-status';
import type { CredentialHealth, UserStatus } from './user-status';

/** What `status` shows: every lane and every user at one instant. */
export interface StatusReport {
  /** Epoch ms the report was read at. */
  readonly at: number;
  readonly target: string;
  readonly lanes: readonly LaneStatus[];
  readonly users: readonly UserStatus[];
}

function credentials(health: CredentialHealth, now: number): string {
  switch (health.state) {
    case 'none':
      return 'no token yet';
    case 'valid':
      return `valid (expires in ${formatDuration(health.expiresInMs)})`;
    case 'expired':
      return 'expired (minted again on next use)';
    case 'refused':
      return 'refused by Outreach (minted again on next use)';
    case 'mint-blocked':
      return `minting blocked for ${formatDuration(health.untilMs - now)}`;
  }
}

function budget(user: UserStatus, now: number): string {
  const reset = user.budget.resetAt === undefined ? '' : `, resets in ${formatDuration(user.budget.resetAt - now)}`;
  return `${user.budget.remaining} / ${user.budget.limit}${reset}`;
}

/** The report as plain text: a lanes table, then a users table. Pure. */
export function formatStatus(report: StatusReport): string {
  const now = report.at;
  const lanes = table(
    ['lane', 'depth', 'in flight', 'oldest', 'dead letters', 'receiving'],
    report.lanes.map((lane) => [
      lane.lane,
      String(lane.depth),
      String(lane.inFlight),
      lane.oldestAgeSeconds === undefined ? '—' : formatDuration(lane.oldestAgeSeconds * 1000),
      String(lane.deadLetters),
      lane.receiving === 'receiving' ? 'yes' : 'PAUSED',
    ]),
  );
  const users = table(
    ['user', 'cool-down', 'budget left', 'in flight', 'circuit', 'credentials'],
    report.users.map((user) => [
      user.user,
      user.cooldownRemainingMs > 0 ? `${formatDuration(user.cooldownRemainingMs)} left` : 'none',
      budget(user, now),
      `${user.inFlight} / ${user.inFlightCap}`,
      user.circuit.state === 'open'
        ? `OPEN for ${formatDuration(user.circuit.openUntil - now)}`
        : `closed (${user.circuit.consecutiveFailures} failures in a row)`,
      credentials(user.credentials, now),
    ]),
  );
  return `${report.target} at ${new Date(now).toISOString()}\n\n${lanes}\n\n${users}\n`;
}

/** The report as JSON for scripts: times as ISO strings, durations in milliseconds. Pure. */
export function statusJson(report: StatusReport): unknown {
  const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
  return {
    target: report.target,
    at: iso(report.at),
    lanes: report.lanes.map((lane) => ({ ...lane, oldestAgeSeconds: lane.oldestAgeSeconds ?? null })),
    users: report.users.map((user) => ({
      user: user.user,
      cooldownRemainingMs: user.cooldownRemainingMs,
      cooldownUntil: iso(user.cooldownUntil),
      budget: { ...user.budget, resetAt: iso(user.budget.resetAt) },
      inFlight: user.inFlight,
      inFlightCap: user.inFlightCap,
      circuit:
        user.circuit.state === 'open'
          ? { state: 'open', openUntil: iso(user.circuit.openUntil) }
          : { state: 'closed', consecutiveFailures: user.circuit.consecutiveFailures },
      credentials: user.credentials,
    })),
  };
}
