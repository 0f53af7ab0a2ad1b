import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SQSClient } from '@aws-sdk/client-sqs';
import { readLocalRun } from '../../cli/local-target';
import { TargetError } from '../../cli/target';
import { resolveGateSettings } from '../../lib/settings';
import { LOCAL_RUN_FILE, publishLocalRun, readPausedLanes } from '../../local/local-run-file';

const lanes = {
  critical: {
    queueUrl: 'http://127.0.0.1:1/q/c.fifo',
    queueArn: 'arn:c',
    deadLetterQueueUrl: 'http://127.0.0.1:1/q/cd.fifo',
  },
  standard: {
    queueUrl: 'http://127.0.0.1:1/q/s.fifo',
    queueArn: 'arn:s',
    deadLetterQueueUrl: 'http://127.0.0.1:1/q/sd.fifo',
  },
  bulk: {
    queueUrl: 'http://127.0.0.1:1/q/b.fifo',
    queueArn: 'arn:b',
    deadLetterQueueUrl: 'http://127.0.0.1:1/q/bd.fifo',
  },
};

describe('the local run file', () => {
  const sqs = new SQSClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  afterAll(() => sqs.destroy());
  const env = {
    tableName: 'gate-local',
    lanes,
    endpoints: { sqs: 'http://127.0.0.1:1', dynamodb: 'http://127.0.0.1:2' },
    dispatcherEnvironment: { config: resolveGateSettings({ outreachUsers: ['u1'] }).gate },
    clients: { sqs },
  };

  it('GIVEN a run publishes into a folder WHEN the CLI reads it THEN it finds the table, lanes and users, nothing paused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'outreach-gate-run-'));
    publishLocalRun(env, dir);
    const run = readLocalRun(dir);
    expect(run).toMatchObject({ tableName: 'gate-local', lanes, config: { users: ['u1'] } });
    expect(readPausedLanes(run.controlFile)).toEqual([]);
  });

  it('GIVEN no report folder WHEN a run starts THEN nothing is written and its own client is used', () => {
    expect(publishLocalRun(env, undefined)).toBe(sqs);
  });

  it('GIVEN the run that wrote the file has ended WHEN the CLI reads it THEN it says so', () => {
    const dir = mkdtempSync(join(tmpdir(), 'outreach-gate-run-'));
    publishLocalRun(env, dir);
    const file = join(dir, LOCAL_RUN_FILE);
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), pid: 2 ** 22 + 1 }));
    expect(() => readLocalRun(dir)).toThrow(TargetError);
    expect(() => readLocalRun(dir)).toThrow(/has ended/);
  });
});
