import { DeleteMessageCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { GateConfig, LaneEndpoints } from '../lambdas/shared/config';
import { safeParseIntent, upstreamRequestsFor } from '../lambdas/shared/intent';
import type { Lane } from '../lambdas/shared/names';
import { type DeadLetter, receiveDeadLetters, releaseDeadLetters, selectedLanes } from './dead-letters';
import type { Progress } from './progress';
import { decideRedrive, delayBeforeSend, type RedriveRate, type UserAllowance, userAllowance } from './redrive-pace';
import { readGateState } from './user-status';

/** Options of {@link redrive}. */
export interface RedriveOptions {
  readonly sqs: SQSClient;
  readonly dynamodb: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly lanes: LaneEndpoints;
  readonly config: GateConfig;
  /** @default - every lane */
  readonly lane?: Lane;
  /** Only dead letters with this reason. @default - every reason */
  readonly reason?: string;
  readonly rate: RedriveRate;
  /** @default Date.now */
  readonly clock?: () => number;
  /** @default - setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly progress: Progress;
  /** Approximate number of dead letters, for the progress bar. @default 0 */
  readonly expected?: number;
}

/** What a redrive did. */
export interface RedriveSummary {
  /** Dead letters sent back onto their lane (and deleted from the dead-letter queue). */
  readonly moved: number;
  /** Dead letters left in place because their reason was not the one asked for. */
  readonly skipped: number;
  /** Dead letters left in place, by user and why: a cool-down or no budget left in the window. */
  readonly held: Readonly<Record<string, { readonly coolingDown: number; readonly noBudget: number }>>;
  /** Requests the moved intents will spend, by user. */
  readonly requestsByUser: Readonly<Record<string, number>>;
}

/** Receives are hidden this long; every message not moved is released when the redrive ends. */
const VISIBILITY_SECONDS = 300;

/**
 * Moves dead letters back onto their lane, oldest first per message group. Each one is sent with its body, its
 * message group and every message attribute of the dead-letter copy (the intent id and the dead-letter id the
 * dispatcher recognises a redrive by), and with the dead-letter message id as de-duplication id; then it is
 * deleted. A redrive stopped between the two re-sends that one message when run again, and SQS drops the copy
 * within its five-minute de-duplication interval.
 */
export async function redrive(options: RedriveOptions): Promise<RedriveSummary> {
  const clock = options.clock ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const allowances = new Map<string, UserAllowance>();
  const sentByUser: Record<string, number> = {};
  const held: Record<string, { coolingDown: number; noBudget: number }> = {};
  const keep: DeadLetter[] = [];
  let moved = 0;
  let skipped = 0;
  const startedAt = clock();
  options.progress.start(options.expected ?? 0);

  const allowanceOf = async (user: string, lane: Lane): Promise<UserAllowance> => {
    const key = `${lane}\u0000${user}`;
    let allowance = allowances.get(key);
    if (allowance === undefined) {
      const state = await readGateState(options.dynamodb, options.tableName, user);
      allowance = userAllowance(state, lane, options.config, clock());
      allowances.set(key, allowance);
    }
    return allowance;
  };

  const handle = async (letter: DeadLetter): Promise<void> => {
    if (options.reason !== undefined && letter.reason !== options.reason) {
      skipped += 1;
      keep.push(letter);
      return;
    }
    const parsed = safeParseIntent(JSON.parse(safeJson(letter.body)));
    const user = parsed.success ? parsed.intent.user : undefined;
    const cost = parsed.success ? upstreamRequestsFor(parsed.intent) : 0;
    const allowance =
      user !== undefined && options.config.users.includes(user) ? await allowanceOf(user, letter.lane) : undefined;
    const decision = decideRedrive(options.rate, allowance, user === undefined ? 0 : (sentByUser[user] ?? 0), cost);
    if (decision.kind === 'hold' && user !== undefined) {
      const counts = held[user] ?? { coolingDown: 0, noBudget: 0 };
      held[user] = counts;
      if (decision.why === 'cooling-down') counts.coolingDown += 1;
      else counts.noBudget += 1;
      keep.push(letter);
      return;
    }
    await sleep(delayBeforeSend(options.rate, moved, startedAt, clock()));
    await sendBack(options.sqs, options.lanes, letter);
    moved += 1;
    if (user !== undefined) sentByUser[user] = (sentByUser[user] ?? 0) + cost;
    options.progress.tick(moved / Math.max(0.001, (clock() - startedAt) / 1000));
  };

  try {
    for (const lane of selectedLanes(options.lane)) {
      const queueUrl = options.lanes[lane].deadLetterQueueUrl;
      for (;;) {
        const received = await receiveDeadLetters(options.sqs, lane, queueUrl, VISIBILITY_SECONDS);
        if (received.length === 0) break;
        for (const letter of received) await handle(letter);
      }
    }
  } finally {
    options.progress.stop();
    await releaseDeadLetters(options.sqs, keep);
  }
  return { moved, skipped, held, requestsByUser: sentByUser };
}

function safeJson(body: string): string {
  try {
    JSON.parse(body);
    return body;
  } catch {
    return 'null';
  }
}

/** Sends one dead letter back onto its lane, then deletes it from the dead-letter queue. */
async function sendBack(sqs: SQSClient, lanes: LaneEndpoints, letter: DeadLetter): Promise<void> {
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: lanes[letter.lane].queueUrl,
      MessageBody: letter.body,
      MessageGroupId: letter.groupId,
      MessageDeduplicationId: letter.messageId,
      ...(Object.keys(letter.attributes).length > 0 ? { MessageAttributes: { ...letter.attributes } } : {}),
    }),
  );
  await sqs.send(new DeleteMessageCommand({ QueueUrl: letter.queueUrl, ReceiptHandle: letter.receiptHandle }));
}

/** The summary as plain text. Pure. */
export function formatRedriveSummary(summary: RedriveSummary): string {
  const lines = [`moved ${summary.moved} dead letters back onto their lanes`];
  if (summary.skipped > 0) lines.push(`left ${summary.skipped} with another reason in place`);
  for (const [user, counts] of Object.entries(summary.held)) {
    if (counts.coolingDown > 0) lines.push(`held ${counts.coolingDown} of ${user}: cooling down; run again after it`);
    if (counts.noBudget > 0) {
      lines.push(`held ${counts.noBudget} of ${user}: no budget left in this window; run again after the reset`);
    }
  }
  return `${lines.join('\n')}\n`;
}
