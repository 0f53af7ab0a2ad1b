/**
 * Checks a run's observations before anything is rendered, so a driver bug surfaces as one clear error naming
 * the field instead of a broken chart or a half-written report.
 */
import { z } from 'zod';
import { LANES, type Lane } from '../../lambdas/shared/names';
import type { RunObservations } from './types';

/** Raised when observations handed to the report are malformed; the message names every bad field. */
export class ReportInputError extends Error {
  override readonly name = 'ReportInputError';
}

const count = z.number().int().nonnegative();
const amount = z.number().nonnegative().refine(Number.isFinite, 'must be finite');
const simTime = z.number().nonnegative().refine(Number.isFinite, 'must be finite');
const isoTime = z.string().refine((text) => !Number.isNaN(Date.parse(text)), 'must be an ISO date-time');
const label = z.string().min(1);

const laneWaitsSchema = z.object({ waitP50Ms: amount, waitP99Ms: amount, succeeded: count });

const lanesSchema = z.object(
  Object.fromEntries(LANES.map((lane) => [lane, laneWaitsSchema])) as Record<Lane, typeof laneWaitsSchema>,
);

/** The zod schema of {@link RunObservations}; kept in step with the interface by the `satisfies` below. */
export const runObservationsSchema = z
  .object({
    scenario: z.string(),
    timeScale: z.number().positive().refine(Number.isFinite, 'must be finite'),
    startedAt: isoTime,
    finishedAt: isoTime,
    intents: z.object({
      enqueued: count,
      succeeded: count,
      deadLettered: count,
      lost: count,
      duplicatesCreated: count,
    }),
    upstream: z.object({
      calls: count,
      byStatus: z.record(z.string(), count),
      status429: count,
      maxInFlight: count,
      inFlightCap: z.number().int().positive(),
      firstRetryAfterMs: amount.nullable(),
      maxRetryAfterMs: amount.nullable(),
      tokenMints: count,
    }),
    lanes: lanesSchema,
    clearance: z.object({ actualMs: amount, idealMs: amount, ratio: amount }),
    dynamodb: z.object({ requests: count, requestsPerIntent: amount }),
    users: z.array(label),
    series: z.object({
      upstreamPerSecond: z.array(z.object({ t: simTime, status: label, count: amount })),
      inFlight: z.array(z.object({ t: simTime, value: amount })),
      laneDepth: z.array(z.object({ t: simTime, lane: label, visible: amount, inFlight: amount })),
      laneWaitsMs: z.record(z.string(), z.array(amount)),
      cooldowns: z.array(z.object({ t: simTime, user: label, waitMs: amount })),
      remainingBudget: z.array(z.object({ t: simTime, user: label, remaining: z.number().refine(Number.isFinite) })),
    }),
    invariants: z.array(z.object({ name: label, holds: z.boolean(), detail: z.string() })),
    iam: z
      .object({
        checked: z.record(z.string(), z.record(z.string(), count)),
        calls: count,
        denied: count,
        denials: z.array(z.object({ principal: label, action: label, resource: label })),
      })
      .optional(),
    timeouts: z.object({ functionTimeoutSeconds: amount, invocations: count, count, throttles: count }).optional(),
    pump: z.object({ pauseAfterMs: amount, pauses: count, resumes: count, receivesAvoided: count }).optional(),
  })
  .superRefine((obs, ctx) => {
    if (Date.parse(obs.finishedAt) < Date.parse(obs.startedAt)) {
      ctx.addIssue({
        code: 'custom',
        path: ['finishedAt'],
        message: `is before startedAt (${obs.startedAt})`,
      });
    }
  }) satisfies z.ZodType<RunObservations>;

function describeIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.length === 0 ? '(root)' : issue.path.map(String).join('.');
  return `${where}: ${issue.message}`;
}

/**
 * Returns `value` as {@link RunObservations} or throws a {@link ReportInputError} listing each bad field by its
 * path (e.g. `series.inFlight.3.value: Invalid input: expected number, received string`).
 */
export function parseRunObservations(value: unknown): RunObservations {
  const result = runObservationsSchema.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.slice(0, 10).map(describeIssue);
    const more = result.error.issues.length > 10 ? `; and ${result.error.issues.length - 10} more` : '';
    throw new ReportInputError(`Run observations are not valid: ${problems.join('; ')}${more}`);
  }
  return result.data;
}
