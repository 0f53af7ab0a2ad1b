import type { SQSRecord } from 'aws-lambda';
import type { BatchMember } from './ports';

/**
 * A bulk enrolment's member and the SQS record it came as, both ways: a member is kept in the forming batch's
 * item; its runner, often another invocation, settles it through the dispatcher's single-record code with the
 * record rebuilt from it (body, message and group ids, receipt handle, lane queue).
 */

/** The member a received record becomes. */
export function memberOf(record: SQSRecord, intentId: string, lane: BatchMember['lane'], now: number): BatchMember {
  return {
    intentId,
    messageId: record.messageId,
    receiptHandle: record.receiptHandle,
    lane,
    groupId: record.attributes.MessageGroupId ?? record.messageId,
    body: record.body,
    sentAt: Number(record.attributes.SentTimestamp ?? now),
  };
}

/** The record a member came as (what dead-lettering it reads: body, ids, group; no message attributes). */
export function recordOf(member: BatchMember, queueArn: string): SQSRecord {
  return {
    messageId: member.messageId,
    receiptHandle: member.receiptHandle,
    body: member.body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(member.sentAt),
      SenderId: '',
      ApproximateFirstReceiveTimestamp: String(member.sentAt),
      MessageGroupId: member.groupId,
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: '',
  };
}
