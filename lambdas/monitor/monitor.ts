import type { GateConfig } from '../shared/config';
import type { Lane } from '../shared/names';
import { decidePump, type PumpDecision, type UserGauges, userGauges } from './decide';
import type { GateReader, LaneSwitch, MonitorLogger, MonitorMetrics, PumpPauses } from './ports';

/** What a monitor tick is built on. */
export interface MonitorParts {
  readonly config: Pick<GateConfig, 'users' | 'budget' | 'leases' | 'timing'>;
  /** The lanes whose mappings the monitor may pause; each serves every configured user. */
  readonly lanes: readonly Lane[];
  readonly pauseAfterMs: number;
  readonly gate: GateReader;
  readonly pauses: PumpPauses;
  readonly lanesSwitch: LaneSwitch;
  readonly metrics: MonitorMetrics;
  readonly logger: MonitorLogger;
}

/** What one tick saw and did. */
export interface MonitorTick {
  readonly users: Readonly<Record<string, UserGauges>>;
  readonly lanes: Readonly<Partial<Record<Lane, PumpDecision>>>;
}

/**
 * One tick of the monitor: reads every user's gate item, publishes its gauges, and pauses or resumes each
 * lane as {@link decidePump} says. A pause is recorded before the mappings are disabled and cleared only after
 * they are enabled again, so a tick that dies halfway is finished by the next one. A lane an operator paused is
 * left alone, even when the operator paused it while this tick was resuming it: the tick then disables it again.
 */
export async function monitorTick(parts: MonitorParts, now: number): Promise<MonitorTick> {
  const states = await Promise.all(parts.config.users.map((user) => parts.gate.snapshot(user)));
  const users: Record<string, UserGauges> = {};
  for (const [index, user] of parts.config.users.entries()) {
    const state = states[index];
    if (state === undefined) continue;
    users[user] = userGauges(state, now, parts.config);
    parts.metrics.user(user, users[user]);
  }
  const cooldownUntil = states.map((state) => state.cooldownUntil);
  const lanes: Partial<Record<Lane, PumpDecision>> = {};
  for (const lane of parts.lanes) {
    const pause = await parts.pauses.get(lane);
    const decision = decidePump({ now, pauseAfterMs: parts.pauseAfterMs, cooldownUntil, pausedBy: pause?.by });
    lanes[lane] = decision;
    parts.metrics.lanePaused(lane, await apply(parts, lane, decision, now, pause?.by === 'monitor'));
  }
  return { users, lanes };
}

/** Carries out one lane's decision; returns whether the lane is paused by the monitor afterwards. */
async function apply(
  parts: MonitorParts,
  lane: Lane,
  decision: PumpDecision,
  now: number,
  paused: boolean,
): Promise<boolean> {
  switch (decision.kind) {
    case 'pause': {
      if (!(await parts.pauses.record({ lane, untilMs: decision.untilMs, pausedAt: now }))) return true;
      await parts.lanesSwitch.setEnabled(lane, false);
      parts.logger.info('lane paused: every user it serves is cooling down', {
        lane,
        until: new Date(decision.untilMs).toISOString(),
      });
      return true;
    }
    case 'resume':
      await parts.lanesSwitch.setEnabled(lane, true);
      if (!(await parts.pauses.release(lane))) {
        // An operator paused the lane while it was being resumed: their pause stands.
        await parts.lanesSwitch.setEnabled(lane, false);
        parts.logger.info('lane left paused: an operator paused it', { lane });
        return false;
      }
      parts.logger.info('lane resumed: a user it serves may call Outreach again', { lane });
      return false;
    case 'keep':
      return paused;
  }
}
