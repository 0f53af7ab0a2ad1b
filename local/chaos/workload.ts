/**
 * The intents of a chaos run: bulk prospect creates (each a new e-mail, so a second create shows as a duplicate in
 * Outreach), standard updates of seeded prospects and critical enrolments of distinct seeded prospects, enqueued at
 * seeded random times. Pure.
 */
import type { IntentInput } from '../../lib/client';
import { seededRandom } from '../scenarios';

/** One intent and when (wall ms from the first enqueue) it is enqueued. */
export interface TimedIntent {
  readonly atMs: number;
  readonly intent: IntentInput;
}

/** Options of {@link chaosWorkload}. */
export interface WorkloadOptions {
  readonly seed: number;
  readonly intents: number;
  readonly users: readonly string[];
  /** Intents are enqueued over [0, periodMs) wall ms. */
  readonly periodMs: number;
  /** Prospects 1…n that exist before the run (updated and enrolled). */
  readonly seededProspects: number;
}

/** Share of critical enrolments; each takes a seeded prospect of its own. */
const CRITICAL_SHARE = 0.1;
const STANDARD_SHARE = 0.2;

/** Seeded prospects a workload of `intents` needs: one per enrolment plus a pool for updates. */
export function seededProspectsFor(intents: number): number {
  return Math.ceil(intents * CRITICAL_SHARE) + 10;
}

/** The workload, ordered by enqueue time. */
export function chaosWorkload(options: WorkloadOptions): TimedIntent[] {
  const random = seededRandom(options.seed);
  const enrolments = Math.ceil(options.intents * CRITICAL_SHARE);
  const updatePool = Math.max(1, options.seededProspects - enrolments);
  const out: TimedIntent[] = [];
  let enrolled = 0;
  for (let n = 1; n <= options.intents; n += 1) {
    const user = options.users[n % options.users.length] as string;
    const atMs = Math.round(random() * options.periodMs);
    const roll = random();
    let intent: IntentInput;
    if (roll < CRITICAL_SHARE && enrolled < enrolments) {
      enrolled += 1;
      intent = {
        id: `chaos-enrol-${n}`,
        user,
        lane: 'critical',
        operation: {
          type: 'sequenceState.create',
          prospectId: enrolled,
          sequenceId: 1 + (n % 3),
          mailboxId: 1 + (n % 2),
        },
      };
    } else if (roll < CRITICAL_SHARE + STANDARD_SHARE) {
      const prospectId = enrolments + 1 + Math.floor(random() * updatePool);
      intent = {
        id: `chaos-update-${n}`,
        user,
        lane: 'standard',
        operation: { type: 'prospect.update', prospectId, attributes: { title: `Title ${n}` } },
      };
    } else {
      intent = {
        id: `chaos-create-${n}`,
        user,
        lane: 'bulk',
        operation: {
          type: 'prospect.create',
          attributes: { emails: [`chaos-${n}@example.com`], firstName: `Chaos${n}` },
        },
      };
    }
    out.push({ atMs, intent });
  }
  return out.sort((a, b) => a.atMs - b.atMs);
}
