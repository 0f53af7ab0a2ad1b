import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LANES, type Lane } from '../lambdas/shared/names';
import { dynamoDbLocalClient } from '../local/emulators/dynamodb';
import { createLocalSqsClient } from '../local/emulators/sqs';
import {
  LOCAL_RUN_FILE,
  type LocalRun,
  localRunSchema,
  readPausedLanes,
  writePausedLanes,
} from '../local/local-run-file';
import { type LaneSwitch, type OperateTarget, TargetError } from './target';

/** Reads and checks the run file `npm start` wrote into `dir`. */
export function readLocalRun(dir: string): LocalRun {
  const file = join(resolve(dir), LOCAL_RUN_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new TargetError(`no local run found: ${file} does not exist; start one with "npm start" first`);
  }
  const parsed = localRunSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new TargetError(`${file} is not a local run file: ${parsed.error.message}`);
  if (!processRuns(parsed.data.pid)) {
    throw new TargetError(`the local run described by ${file} (process ${parsed.data.pid}) has ended`);
  }
  return parsed.data;
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Pauses lanes of a local run by listing them in its control file, which the runner reads before each receive. */
export class ControlFileLaneSwitch implements LaneSwitch {
  constructor(private readonly controlFile: string) {}

  async pause(lanes: readonly Lane[]): Promise<void> {
    writePausedLanes(this.controlFile, [...readPausedLanes(this.controlFile), ...lanes]);
  }

  async resume(lanes: readonly Lane[]): Promise<void> {
    writePausedLanes(
      this.controlFile,
      readPausedLanes(this.controlFile).filter((lane) => !lanes.includes(lane)),
    );
  }

  async states(): Promise<Record<Lane, 'receiving' | 'paused'>> {
    const paused = readPausedLanes(this.controlFile);
    return Object.fromEntries(LANES.map((lane) => [lane, paused.includes(lane) ? 'paused' : 'receiving'])) as Record<
      Lane,
      'receiving' | 'paused'
    >;
  }
}

/** The target of a local run described by `run` (see {@link readLocalRun}). */
export function localTarget(run: LocalRun, description = 'local run'): OperateTarget {
  const sqs = createLocalSqsClient(run.endpoints.sqs);
  const raw = dynamoDbLocalClient(run.endpoints.dynamodb);
  const dynamodb = DynamoDBDocumentClient.from(raw);
  return {
    description,
    tableName: run.tableName,
    lanes: run.lanes,
    config: run.config,
    sqs,
    dynamodb,
    lanesSwitch: new ControlFileLaneSwitch(run.controlFile),
    close() {
      sqs.destroy();
      raw.destroy();
    },
  };
}
