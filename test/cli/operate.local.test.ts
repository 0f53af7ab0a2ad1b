import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { formatDeadLetterSummary, summariseDeadLetters } from '../../cli/dead-letter-summary';
import { peekDeadLetters } from '../../cli/dead-letters';
import { ImportFileError } from '../../cli/import-rows';
import { ControlFileLaneSwitch } from '../../cli/local-target';
import { buildProgram } from '../../cli/program';
import { silentProgress } from '../../cli/progress';
import { redrive } from '../../cli/redrive';
import { readStatus } from '../../cli/status';
import { formatStatus } from '../../cli/status-format';
import type { OperateTarget } from '../../cli/target';
import { DEAD_LETTER_ATTRIBUTES, SqsLaneQueues } from '../../lambdas/adapters/sqs-lane-queues';
import type { LaneEndpoints } from '../../lambdas/shared/config';
import { serializeIntent } from '../../lambdas/shared/intent';
import { gateKey, LANES, TABLE_KEYS } from '../../lambdas/shared/names';
import { resolveGateSettings } from '../../lib/settings';
import { createLaneQueues } from '../../local/emulators/sqs';
import { pausableSqs } from '../../local/local-run-file';
import { LocalPump } from '../../local/runner/pump';
import { useDynamoDbLocal } from '../support/dynamodb';
import { type LocalSqs, messagesOnQueue, receiveAll, startLocalSqs, uniqueQueuePrefix } from '../support/sqs';

/** The attribute a dispatcher puts on a dead-letter copy to recognise its redrive. */
const DEAD_LETTER_ID_ATTRIBUTE = 'outreach-gate.dead-letter-id';

describe('outreach-gate against DynamoDB Local and the SQS emulator', () => {
  const db = useDynamoDbLocal();
  const settings = resolveGateSettings({ outreachUsers: ['u1', 'u2'], budgetPerWindow: 100 });
  const now = Date.now();
  let local: LocalSqs;

  beforeAll(async () => {
    local = await startLocalSqs();
  }, 30_000);
  afterAll(async () => {
    await local.stop();
  });

  /** Fresh lanes, table and control file, as a target the commands work against. */
  async function freshTarget(): Promise<OperateTarget & { controlFile: string }> {
    const lanes: LaneEndpoints = await createLaneQueues(local.sqs, settings, uniqueQueuePrefix('cli'));
    const controlFile = join(mkdtempSync(join(tmpdir(), 'outreach-gate-cli-')), 'control.json');
    return {
      description: 'test run',
      tableName: await db.createGateTable(),
      lanes,
      config: settings.gate,
      sqs: local.sqs,
      dynamodb: db.documentClient,
      lanesSwitch: new ControlFileLaneSwitch(controlFile),
      controlFile,
      close() {},
    };
  }

  const putGate = (target: OperateTarget, user: string, item: Record<string, number>) =>
    db.documentClient.send(
      new PutCommand({ TableName: target.tableName, Item: { [TABLE_KEYS.partitionKey]: gateKey(user), ...item } }),
    );

  const intentBody = (id: string, prospectId: number) =>
    serializeIntent({
      v: 1,
      id,
      user: 'u1',
      lane: 'critical',
      operation: { type: 'prospect.update', prospectId, attributes: { title: 'x' } },
    });

  /** Puts `count` intents of u1 on the critical lane's dead-letter queue as the dispatcher does, each in its own group. */
  async function deadLetterCritical(target: OperateTarget, count: number): Promise<void> {
    for (let i = 0; i < count; i += 1) {
      await local.sqs.send(
        new SendMessageCommand({
          QueueUrl: target.lanes.critical.deadLetterQueueUrl,
          MessageBody: intentBody(`intent-${i}`, i + 1),
          MessageGroupId: `group-${i}`,
          MessageDeduplicationId: `lane-message-${i}`,
          MessageAttributes: {
            [DEAD_LETTER_ATTRIBUTES.reason]: { DataType: 'String', StringValue: 'failed' },
            [DEAD_LETTER_ATTRIBUTES.intentId]: { DataType: 'String', StringValue: `intent-${i}` },
            [DEAD_LETTER_ID_ATTRIBUTE]: { DataType: 'String', StringValue: `dead-letter-${i}` },
          },
        }),
      );
    }
  }

  const run = async (target: OperateTarget, args: string[]) => {
    const out: string[] = [];
    const program = buildProgram({ out: (text) => out.push(text), err: (text) => out.push(text) }, () => target);
    await program.exitOverride().parseAsync(args, { from: 'user' });
    return out.join('');
  };

  it('GIVEN a gate item with a cool-down WHEN status is read THEN it shows the cool-down left', async () => {
    const target = await freshTarget();
    await putGate(target, 'u1', { cooldownUntil: now + 90_000 });
    const report = await readStatus(target, () => now);
    expect(report.users.map((user) => [user.user, user.cooldownRemainingMs])).toEqual([
      ['u1', 90_000],
      ['u2', 0],
    ]);
    expect(formatStatus(report)).toMatch(/u1\s+1m 30s left/);
  });

  it('GIVEN dead letters with two reasons WHEN listed THEN they are counted by reason and stay on the queue', async () => {
    const target = await freshTarget();
    const queues = new SqsLaneQueues(local.sqs, target.lanes);
    for (const [index, reason] of ['invalid', 'rejected', 'invalid'].entries()) {
      await queues.deadLetter('bulk', {
        body: intentBody(`d${index}`, index + 1),
        groupId: `g${index}`,
        deduplicationId: `m${index}`,
        reason,
        intentId: `d${index}`,
        error: { kind: 'rejected', status: 422, detail: 'Authorization: Bearer SECRET-TOKEN refused' },
      });
    }
    const groups = summariseDeadLetters(await peekDeadLetters(local.sqs, target.lanes, 'bulk'));
    expect(groups.map((group) => [group.reason, group.count])).toEqual([
      ['invalid', 2],
      ['rejected', 1],
    ]);
    expect(formatDeadLetterSummary(groups)).not.toContain('SECRET-TOKEN');
    expect(await messagesOnQueue(local.sqs, target.lanes.bulk.deadLetterQueueUrl)).toBe(3);
  });

  it('GIVEN 8 dead letters and a budget of 5 left WHEN redriven at auto THEN 5 move with their ids and attributes', async () => {
    const target = await freshTarget();
    await putGate(target, 'u1', { limit: 100, spent: 95, windowResetAt: now + 3_600_000 });
    await deadLetterCritical(target, 8);

    const summary = await redrive({ ...target, rate: { kind: 'auto' }, progress: silentProgress });

    expect(summary.moved).toBe(5);
    expect(summary.held).toEqual({ u1: { coolingDown: 0, noBudget: 3 } });
    const moved = await receiveAll(local.sqs, target.lanes.critical.queueUrl);
    expect(moved).toHaveLength(5);
    for (const message of moved) {
      const id = message.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.intentId]?.StringValue ?? '';
      const n = id.replace('intent-', '');
      expect(JSON.parse(message.Body ?? '{}').id).toBe(id);
      expect(message.Attributes?.MessageGroupId).toBe(`group-${n}`);
      expect(message.MessageAttributes?.[DEAD_LETTER_ID_ATTRIBUTE]?.StringValue).toBe(`dead-letter-${n}`);
      expect(message.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.reason]?.StringValue).toBe('failed');
    }
    expect(await messagesOnQueue(local.sqs, target.lanes.critical.deadLetterQueueUrl)).toBe(3);
  });

  it('GIVEN the user cools down WHEN redriven at auto THEN nothing moves', async () => {
    const target = await freshTarget();
    await putGate(target, 'u1', { cooldownUntil: now + 600_000 });
    await deadLetterCritical(target, 3);

    const summary = await redrive({ ...target, rate: { kind: 'auto' }, progress: silentProgress });

    expect(summary.moved).toBe(0);
    expect(summary.held).toEqual({ u1: { coolingDown: 3, noBudget: 0 } });
    expect(await messagesOnQueue(local.sqs, target.lanes.critical.queueUrl)).toBe(0);
    expect(await messagesOnQueue(local.sqs, target.lanes.critical.deadLetterQueueUrl)).toBe(3);
  });

  it('GIVEN a user with no budget left WHEN redriven at a fixed rate THEN every dead letter moves anyway', async () => {
    const target = await freshTarget();
    await putGate(target, 'u1', { limit: 100, spent: 100, windowResetAt: now + 3_600_000 });
    await deadLetterCritical(target, 3);

    const output = await run(target, ['dlq', 'redrive', '--lane', 'critical', '--rate', '20/s']);

    expect(output).toBe('moved 3 dead letters back onto their lanes\n');
    expect(await messagesOnQueue(local.sqs, target.lanes.critical.queueUrl)).toBe(3);
  });

  it('GIVEN a redrive stopped after sending but before deleting WHEN run again THEN the lane gets one copy', async () => {
    const target = await freshTarget();
    await deadLetterCritical(target, 1);
    const [letter] = await peekDeadLetters(local.sqs, target.lanes, 'critical');
    // What the stopped run had sent: the same body and group, with the dead letter's message id as de-duplication id.
    await local.sqs.send(
      new SendMessageCommand({
        QueueUrl: target.lanes.critical.queueUrl,
        MessageBody: letter?.body,
        MessageGroupId: letter?.groupId,
        MessageDeduplicationId: letter?.messageId,
      }),
    );

    const summary = await redrive({ ...target, rate: { kind: 'auto' }, progress: silentProgress });

    expect(summary.moved).toBe(1);
    expect(await receiveAll(local.sqs, target.lanes.critical.queueUrl)).toHaveLength(1);
    expect(await messagesOnQueue(local.sqs, target.lanes.critical.deadLetterQueueUrl)).toBe(0);
  });

  it('GIVEN a dead letter whose detail holds a bearer token WHEN shown by intent id THEN the token is masked', async () => {
    const target = await freshTarget();
    await new SqsLaneQueues(local.sqs, target.lanes).deadLetter('standard', {
      body: intentBody('shown-1', 1),
      groupId: 'g',
      deduplicationId: 'm',
      reason: 'rejected',
      intentId: 'shown-1',
      error: { kind: 'rejected', status: 401, detail: 'sent Authorization: Bearer SECRET-TOKEN' },
    });

    const output = await run(target, ['dlq', 'show', 'shown-1']);

    expect(JSON.parse(output)).toMatchObject({ lane: 'standard', reason: 'rejected', intent: { id: 'shown-1' } });
    expect(output).not.toContain('SECRET-TOKEN');
  });

  it('GIVEN a file with a bad row WHEN imported THEN the error names row and field and nothing is sent', async () => {
    const target = await freshTarget();
    const file = join(mkdtempSync(join(tmpdir(), 'outreach-gate-import-')), 'rows.csv');
    writeFileSync(file, 'id,prospectId,attributes.title\nr1,5,CEO\nr2,five,CTO\n');
    const errors: string[] = [];
    const program = buildProgram({ out: () => undefined, err: (text) => errors.push(text) }, () => target);

    await expect(
      program.exitOverride().parseAsync(['import', file, '--user', 'u1', '--operation', 'prospect.update'], {
        from: 'user',
      }),
    ).rejects.toThrow(ImportFileError);

    expect(errors.join('')).toContain('row 2: operation.prospectId: must be a number');
    for (const lane of LANES) expect(await messagesOnQueue(local.sqs, target.lanes[lane].queueUrl)).toBe(0);
  });

  it('GIVEN a valid file WHEN imported THEN every row is accepted onto the bulk lane', async () => {
    const target = await freshTarget();
    const file = join(mkdtempSync(join(tmpdir(), 'outreach-gate-import-')), 'rows.jsonl');
    writeFileSync(
      file,
      '{"id":"r1","prospectId":5,"attributes":{"a":1}}\n{"id":"r2","prospectId":6,"attributes":{"a":2}}\n',
    );

    const output = await run(target, ['import', file, '--user', 'u1', '--operation', 'prospect.update']);

    expect(output).toMatch(/^accepted 2, refused 0 of 2/);
    expect(await messagesOnQueue(local.sqs, target.lanes.bulk.queueUrl)).toBe(2);
  });

  it('GIVEN a paused lane WHEN the runner receives THEN it gets nothing; after resume it gets the message', async () => {
    const target = await freshTarget();
    await local.sqs.send(
      new SendMessageCommand({
        QueueUrl: target.lanes.bulk.queueUrl,
        MessageBody: intentBody('p1', 1),
        MessageGroupId: 'g',
        MessageDeduplicationId: 'p1',
      }),
    );
    const counters = { receivesAvoided: 0 };
    const runnerSqs = pausableSqs(local.sqs, target.controlFile, target.lanes, counters);
    const receive = () =>
      runnerSqs.send(new ReceiveMessageCommand({ QueueUrl: target.lanes.bulk.queueUrl, WaitTimeSeconds: 0 }));

    expect(await run(target, ['pause', '--lane', 'bulk'])).toBe('bulk: paused\n');
    expect((await receive()).Messages ?? []).toHaveLength(0);
    expect(counters.receivesAvoided).toBe(1);

    expect(await run(target, ['resume', '--lane', 'bulk'])).toBe('bulk: receiving\n');
    expect((await receive()).Messages ?? []).toHaveLength(1);
  });

  it('GIVEN a lane paused with `pause` WHEN the local pump ticks after every cool-down ended THEN the lane stays paused until `resume`', async () => {
    const target = await freshTarget();
    await putGate(target, 'u1', { cooldownUntil: now - 60_000 });
    const pump = new LocalPump({
      documents: db.documentClient,
      tableName: target.tableName,
      config: target.config,
      controlFile: target.controlFile,
      pauseAfterMs: 1_000,
      clock: () => now,
    });

    await run(target, ['pause', '--lane', 'bulk']);
    const afterTick = (await pump.tick()).lanes.bulk;
    const whilePaused = (await target.lanesSwitch.states()).bulk;
    await run(target, ['resume', '--lane', 'bulk']);

    expect({ afterTick, whilePaused, afterResume: (await target.lanesSwitch.states()).bulk }).toEqual({
      afterTick: { kind: 'keep' },
      whilePaused: 'paused',
      afterResume: 'receiving',
    });
  });

  it('GIVEN a lane the pump paused WHEN an operator pauses it too THEN the pump does not resume it when the cool-down ends', async () => {
    const target = await freshTarget();
    await putGate(target, 'u1', { cooldownUntil: now + 600_000 });
    await putGate(target, 'u2', { cooldownUntil: now + 300_000 });
    let clock = now;
    const pump = new LocalPump({
      documents: db.documentClient,
      tableName: target.tableName,
      config: target.config,
      controlFile: target.controlFile,
      pauseAfterMs: 1_000,
      clock: () => clock,
    });

    const first = (await pump.tick()).lanes.bulk;
    await run(target, ['pause', '--lane', 'bulk']);
    clock = now + 300_000;
    const second = await pump.tick();

    expect({
      first,
      bulk: second.lanes.bulk,
      critical: second.lanes.critical,
      states: await target.lanesSwitch.states(),
    }).toEqual({
      first: { kind: 'pause', untilMs: now + 300_000 },
      bulk: { kind: 'keep' },
      critical: { kind: 'resume' },
      states: { critical: 'receiving', standard: 'receiving', bulk: 'paused' },
    });
  });
});
