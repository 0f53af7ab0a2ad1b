import type { Lane } from '../lambdas/shared/names';
import type { DeadLetter } from './dead-letters';
import { table } from './format';
import { withoutSecrets } from './redact';

/** One sample dead letter of a reason: what identifies it and what went wrong, never its body. */
export interface DeadLetterSample {
  readonly messageId: string;
  readonly intentId: string | undefined;
  readonly errorKind: string | undefined;
  readonly status: string | undefined;
  readonly outreachErrorId: string | undefined;
  readonly detail: string | undefined;
}

/** The dead letters of one lane that share a reason. */
export interface ReasonGroup {
  readonly lane: Lane;
  readonly reason: string;
  readonly count: number;
  readonly samples: readonly DeadLetterSample[];
}

/** Groups dead letters by lane and reason, largest group first, with up to `samples` examples each. Pure. */
export function summariseDeadLetters(letters: readonly DeadLetter[], samples = 3): ReasonGroup[] {
  const groups = new Map<string, { lane: Lane; reason: string; letters: DeadLetter[] }>();
  for (const letter of letters) {
    const key = `${letter.lane}\u0000${letter.reason}`;
    const group = groups.get(key) ?? { lane: letter.lane, reason: letter.reason, letters: [] };
    group.letters.push(letter);
    groups.set(key, group);
  }
  return [...groups.values()]
    .map((group) => ({
      lane: group.lane,
      reason: group.reason,
      count: group.letters.length,
      samples: group.letters.slice(0, samples).map((letter) => ({
        messageId: letter.messageId,
        intentId: letter.intentId,
        errorKind: letter.errorKind,
        status: letter.status,
        outreachErrorId: letter.outreachErrorId,
        detail: letter.detail === undefined ? undefined : withoutSecrets(letter.detail),
      })),
    }))
    .sort((a, b) => b.count - a.count || a.lane.localeCompare(b.lane) || a.reason.localeCompare(b.reason));
}

/** The groups as plain text: a table of counts, then each group's samples. Pure. */
export function formatDeadLetterSummary(groups: readonly ReasonGroup[]): string {
  if (groups.length === 0) return 'no dead letters\n';
  const counts = table(
    ['lane', 'reason', 'count'],
    groups.map((group) => [group.lane, group.reason, String(group.count)]),
  );
  const samples = groups.flatMap((group) => [
    `${group.lane} / ${group.reason}:`,
    ...group.samples.map((sample) =>
      [
        `  ${sample.intentId ?? '(no intent id)'}`,
        `message ${sample.messageId}`,
        sample.errorKind && `error ${sample.errorKind}`,
        sample.status && `status ${sample.status}`,
        sample.outreachErrorId && `Outreach error ${sample.outreachErrorId}`,
        sample.detail && `— ${sample.detail}`,
      ]
        .filter(Boolean)
        .join(', '),
    ),
  ]);
  return `${counts}\n\n${samples.join('\n')}\n`;
}
