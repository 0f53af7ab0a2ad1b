import type { SQSRecord } from 'aws-lambda';
import type { GateConfig } from '../shared/config';
import type { Intent } from '../shared/intent';
import { payloadHashOf } from '../shared/intent-record';
import { coalesceKey } from '../shared/names';
import { memberOf, recordOf } from './batch-member';
import type { BulkEnrolmentRunner, BulkEntry } from './bulk-enrolment';
import {
  type CoalescingSettings,
  coalesceOwner,
  latestOpeningFor,
  MAX_MEMBER_BODY_BYTES,
  openTimeNeededMs,
  runTimeNeededMs,
  type SealDecision,
  sealDecision,
} from './coalesce-rules';
import { type DispatchLogger, type IntentDispatcher, type PreClaim, REDRIVE_ATTRIBUTE, timeNeededMs } from './dispatch';
import type { FormingBatches, GateMetrics, IntentStore, LaneQueues } from './ports';

/** Everything the coalescer works with. */
export interface CoalescerDependencies {
  readonly dispatcher: IntentDispatcher;
  readonly intents: IntentStore;
  readonly batches: FormingBatches;
  readonly queues: LaneQueues;
  readonly runner: BulkEnrolmentRunner;
  readonly metrics: GateMetrics;
  readonly logger: DispatchLogger;
  readonly config: GateConfig;
  readonly settings: CoalescingSettings;
  readonly clock: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

/** A batch this invocation joined and may have to seal. */
interface Joined {
  readonly key: string;
  readonly batchKey: string;
  readonly decision: SealDecision;
  readonly user: string;
  readonly sequenceId: number;
  readonly mailboxId: number;
}

/** What gathering decided for an SQS batch's records. */
export interface Gathered {
  /**
   * Message ids parked in a forming batch (or perhaps in one: a join whose answer was lost): hidden, not deleted
   * by the batch response, settled by the batch or read back after their park.
   */
  readonly coalesced: ReadonlySet<string>;
  /** Records claimed for coalescing that take the single path after all, with their claim. */
  readonly claimed: ReadonlyMap<string, PreClaim>;
  readonly joined: readonly Joined[];
}

const NOTHING: Gathered = { coalesced: new Set(), claimed: new Map(), joined: [] };

type Enrolment = Intent & { operation: Extract<Intent['operation'], { type: 'sequenceState.create' }> };

/**
 * Gathers bulk-lane enrolments across invocations into Outreach bulk actions, in the gate table:
 * 1. picks the records that may be gathered: the first record of its message group in the batch (later ones
 *    keep their group's order), bulk lane, a valid `sequenceState.create`, small body, no redrive, not near
 *    recycling;
 * 2. claims each record with owner `coalesce:<messageId>` for `parkMs` (the claim marks "a send may happen", and a
 *    re-receive of the same message cannot take the record over); a refused claim takes the single path, and so
 *    does a record that says an earlier send may have happened (it is read back first);
 * 3. joins them to the forming batch of their user, sequence and mailbox with one conditional write per batch;
 *    those that do not fit take the single path with their claim;
 * 4. hides the joined members' messages for `parkMs`; the batch response leaves them on the queue;
 * 5. seals the batch when this invocation filled it, or at the end of the window when it opened it, and runs it
 *    (see {@link BulkEnrolmentRunner}).
 */
export class Coalescer {
  constructor(private readonly deps: CoalescerDependencies) {}

  /** Claims, joins and hides what may be gathered from one SQS batch. Never throws: what fails takes the single path. */
  async gather(records: readonly SQSRecord[], remainingMs: () => number): Promise<Gathered> {
    const { settings, config } = this.deps;
    if (!settings.enabled || remainingMs() < openTimeNeededMs(timeNeededMs(config), settings)) return NOTHING;
    const now = this.deps.clock();
    const candidates = this.candidates(records, now);
    if (candidates.length === 0) return NOTHING;
    const claimed = new Map<string, PreClaim>();
    const joinable: Array<{ record: SQSRecord; intent: Enrolment }> = [];
    await Promise.all(
      candidates.map(async ({ record, intent }) => {
        const owner = coalesceOwner(record.messageId);
        try {
          const claim = await this.deps.intents.claim(
            intent,
            {
              owner,
              ownerExpiresAt: now + settings.parkMs,
              payloadHash: payloadHashOf(intent),
              guardSend: true,
              exclusive: true,
            },
            now,
          );
          if (claim.kind === 'refused') return;
          if (claim.previous?.unconfirmedSend === true) {
            claimed.set(record.messageId, { owner, previous: claim.previous });
          } else {
            joinable.push({ record, intent });
            claimed.set(record.messageId, { owner, ...(claim.previous ? { previous: claim.previous } : {}) });
          }
        } catch (error) {
          this.deps.logger.warn('could not claim an enrolment for a bulk action; it takes the single path', {
            messageId: record.messageId,
            error: String(error),
          });
        }
      }),
    );
    const coalesced = new Set<string>();
    /** Members whose join failed without saying whether it was applied. */
    const unsure = new Set<string>();
    const joined: Joined[] = [];
    const byKey = new Map<string, Array<{ record: SQSRecord; intent: Enrolment }>>();
    for (const entry of joinable) {
      const { sequenceId, mailboxId } = entry.intent.operation;
      const key = coalesceKey(entry.intent.user, sequenceId, mailboxId);
      byKey.set(key, [...(byKey.get(key) ?? []), entry]);
    }
    // Claims that took too long (a slow table) are not joined: their park would not cover the batch.
    const joinAt = this.deps.clock();
    if (joinAt > latestOpeningFor(now)) byKey.clear();
    await Promise.all(
      [...byKey].map(async ([key, entries]) => {
        const first = entries[0] as { intent: Enrolment };
        const members = entries.map(({ record, intent }) => memberOf(record, intent.id, 'bulk', now));
        try {
          const result = await this.deps.batches.join(key, members, joinAt, latestOpeningFor(now));
          if (result.batch === undefined || result.joined.length === 0) return;
          for (const member of result.joined) coalesced.add(member.messageId);
          joined.push({
            key: result.batch.key,
            batchKey: result.batch.batchKey,
            decision: sealDecision(result.batch, settings),
            user: first.intent.user,
            sequenceId: first.intent.operation.sequenceId,
            mailboxId: first.intent.operation.mailboxId,
          });
        } catch (error) {
          // The write may have been applied with only its answer lost: the members may be in the batch, and its
          // sealer would enrol them. They stay parked like joined ones and come back, read back, after the park.
          for (const { record } of entries) unsure.add(record.messageId);
          this.deps.logger.warn('could not join a bulk enrolment; its members stay parked and are read back', {
            key,
            members: entries.length,
            error: String(error),
          });
        }
      }),
    );
    const parked = new Set([...coalesced, ...unsure]);
    await this.hide(records.filter((record) => parked.has(record.messageId)));
    for (const id of parked) claimed.delete(id);
    if (coalesced.size > 0) this.deps.metrics.coalesced?.('bulk', coalesced.size);
    this.deps.logger.info('enrolments gathered into bulk enrolments', {
      gathered: coalesced.size,
      ...(unsure.size > 0 ? { unsure: unsure.size } : {}),
      single: claimed.size,
      tookMs: this.deps.clock() - now,
    });
    return { coalesced: parked, claimed, joined };
  }

  /**
   * Seals and runs the batches this invocation must seal: at once when it filled one, at the window's end when
   * it opened one (sooner if its time would not last). Never throws: members of a batch that could not run come
   * back when their park ends.
   */
  async finish(gathered: Gathered, remainingMs: () => number): Promise<void> {
    await Promise.all(
      gathered.joined.map(async (joined) => {
        try {
          await this.sealAndRun(joined, remainingMs);
        } catch (error) {
          this.deps.logger.error('a bulk enrolment failed unexpectedly; its members come back after their park', {
            key: joined.key,
            error: error instanceof Error ? { name: error.name, message: error.message } : String(error),
          });
        }
      }),
    );
  }

  private async sealAndRun(joined: Joined, remainingMs: () => number): Promise<void> {
    const { decision } = joined;
    if (decision.kind === 'leave') return;
    if (decision.kind === 'seal-at') {
      const waitMs = decision.atMs - this.deps.clock();
      // The runner needs time for the POST, the first poll's wait and one read, and to stop (a cancel and one
      // more read): never wait into that.
      const spareMs = remainingMs() - runTimeNeededMs(timeNeededMs(this.deps.config), this.deps.settings.maxSize);
      if (waitMs > 0) await this.deps.sleep(Math.max(0, Math.min(waitMs, spareMs)));
    }
    const members = await this.deps.batches.seal(joined.key, joined.batchKey, this.deps.clock());
    if (members === undefined || members.length === 0) return;
    const entries: BulkEntry[] = [];
    for (const member of members) {
      const intent = this.deps.dispatcher.intentOf(recordOf(member, this.queueArn()));
      if (intent === undefined) {
        this.deps.logger.error('a sealed bulk enrolment member no longer parses; it comes back after its park', {
          intentId: member.intentId,
        });
        continue;
      }
      entries.push({ member, intent });
    }
    await this.deps.runner.run(
      { user: joined.user, sequenceId: joined.sequenceId, mailboxId: joined.mailboxId, entries },
      remainingMs,
    );
  }

  /** Records that may be gathered: first of their group in the batch, bulk, a valid small enrolment. */
  private candidates(records: readonly SQSRecord[], now: number): Array<{ record: SQSRecord; intent: Enrolment }> {
    const seenGroups = new Set<string>();
    const picked: Array<{ record: SQSRecord; intent: Enrolment }> = [];
    for (const record of records) {
      const group = record.attributes.MessageGroupId ?? record.messageId;
      const first = !seenGroups.has(group);
      seenGroups.add(group);
      if (!first || this.deps.dispatcher.laneOf(record) !== 'bulk') continue;
      if (record.messageAttributes?.[REDRIVE_ATTRIBUTE] !== undefined) continue;
      if (Buffer.byteLength(record.body, 'utf8') > MAX_MEMBER_BODY_BYTES) continue;
      const receives = Number(record.attributes.ApproximateReceiveCount ?? '1');
      if (receives >= this.deps.config.deferral.recycleAtReceiveCount) continue;
      const intent = this.deps.dispatcher.intentOf(record);
      if (intent === undefined || intent.operation.type !== 'sequenceState.create') continue;
      if (intent.deadline !== undefined && Date.parse(intent.deadline) <= now + this.deps.settings.parkMs) continue;
      picked.push({ record, intent: intent as Enrolment });
    }
    return picked;
  }

  /** Hides parked members' messages for the park; a failed hide is harmless (the lane's visibility timeout is longer). */
  private async hide(records: readonly SQSRecord[]): Promise<void> {
    if (records.length === 0) return;
    const seconds = Math.ceil(this.deps.settings.parkMs / 1000);
    try {
      const left = await this.deps.queues.hide(
        'bulk',
        records.map((record) => record.receiptHandle),
        seconds,
      );
      if (left.length > 0) {
        this.deps.logger.warn('could not hide some parked enrolments; they stay hidden for the visibility timeout', {
          left: left.length,
        });
      }
    } catch (error) {
      this.deps.logger.warn('could not hide parked enrolments; they stay hidden for the visibility timeout', {
        members: records.length,
        error: String(error),
      });
    }
  }

  private queueArn(): string {
    return this.deps.dispatcher.queueArnOf('bulk');
  }
}
