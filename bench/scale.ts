/**
 * Scaling a scenario down for a quick benchmark, and the ideal every contender is compared with. A scenario
 * scaled by k keeps every k-th intent of each producer's lane and user, a k-th of the budget, and runs k times
 * faster, so Outreach sees the same requests per wall-clock second and the same shape of work in a k-th of the
 * time.
 */
import { demandOf, idealClearanceMs } from '../local/ideal';
import { meanLatencyMs, type Scenario, type ScheduledIntent, seedProspectEmail } from '../local/scenarios';

/** Raised for a scenario that cannot be scaled as asked; the message says why. */
export class ScaleError extends Error {
  override readonly name = 'ScaleError';
}

const SEED_EMAIL = /^seed-(\d+)@example\.com$/;

/** The seed prospect ids an intent refers to (by id, or by a seeded e-mail). */
function seededIdsOf(item: ScheduledIntent): number[] {
  const op = item.intent.operation;
  switch (op.type) {
    case 'prospect.update':
    case 'sequenceState.create':
      return [op.prospectId];
    case 'prospect.upsert': {
      const match = SEED_EMAIL.exec(op.email);
      return match ? [Number(match[1])] : [];
    }
    case 'batch.prospectsAddToSequence':
      return [...op.prospectIds];
    default:
      return [];
  }
}

/** `item` with its seed prospect ids renamed through `ids`. */
function renumbered(item: ScheduledIntent, ids: ReadonlyMap<number, number>): ScheduledIntent {
  const op = item.intent.operation;
  const id = (n: number) => ids.get(n) ?? n;
  switch (op.type) {
    case 'prospect.update':
    case 'sequenceState.create':
      return { ...item, intent: { ...item.intent, operation: { ...op, prospectId: id(op.prospectId) } } };
    case 'prospect.upsert': {
      const match = SEED_EMAIL.exec(op.email);
      if (!match) return item;
      const email = seedProspectEmail(id(Number(match[1])));
      return { ...item, intent: { ...item.intent, operation: { ...op, email } } };
    }
    case 'batch.prospectsAddToSequence':
      return { ...item, intent: { ...item.intent, operation: { ...op, prospectIds: op.prospectIds.map(id) } } };
    default:
      return item;
  }
}

/**
 * `scenario` scaled down by `factor` (a whole number ≥ 1): every `factor`-th intent of each producer's lane and
 * user (the first one included), the budget divided by `factor`, the time scale multiplied by it, and the seed prospects the
 * kept intents use renumbered 1…n so that only those are created. Pure.
 * @throws ScaleError when the factor is not a whole number ≥ 1.
 */
export function scaleScenario(scenario: Scenario, factor: number): Scenario {
  if (!Number.isInteger(factor) || factor < 1) throw new ScaleError(`factor must be a whole number ≥ 1, got ${factor}`);
  if (factor === 1) return scenario;
  const seen = new Map<string, number>();
  const kept = scenario.workload.filter((item) => {
    const stream = `${item.producer}/${item.intent.lane}/${item.intent.user}`;
    const index = seen.get(stream) ?? 0;
    seen.set(stream, index + 1);
    return index % factor === 0;
  });
  const used = [...new Set(kept.flatMap(seededIdsOf))].sort((a, b) => a - b);
  const ids = new Map(used.map((old, index) => [old, index + 1]));
  const budgetPerWindow = Math.max(1, Math.round(scenario.settings.budgetPerWindow / factor));
  return {
    ...scenario,
    timeScale: scenario.timeScale * factor,
    settings: { ...scenario.settings, budgetPerWindow },
    seedProspects: used.length,
    workload: kept.map((item) => renumbered(item, ids)),
  };
}

/**
 * The fastest legal schedule for the scenario on the simulator's actual refill mode, in simulated ms, with each
 * request taking the simulator's mean latency (as the local runner computes it). Pure.
 */
export function scenarioIdealMs(scenario: Scenario): number {
  return idealClearanceMs(demandOf(scenario.workload), {
    budgetPerWindow: scenario.settings.budgetPerWindow,
    windowMs: scenario.settings.windowSimulatedSeconds * 1000,
    refill: scenario.settings.refill,
    inFlightCap: scenario.settings.inFlightCap,
    requestMs: meanLatencyMs(scenario) * scenario.timeScale,
  });
}
