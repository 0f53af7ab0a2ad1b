import { synthGate } from './synth';

describe('Lanes', () => {
  const { template } = synthGate();
  const queues = template.findResources('AWS::SQS::Queue');
  const lanesOnly = Object.entries(queues).filter(([, q]) => q.Properties.RedrivePolicy !== undefined);
  const deadLetterQueues = Object.entries(queues).filter(([, q]) => q.Properties.RedrivePolicy === undefined);

  it('GIVEN default settings WHEN synthesised THEN there are three lane queues and three dead-letter queues', () => {
    expect([lanesOnly.length, deadLetterQueues.length]).toEqual([3, 3]);
  });

  it('GIVEN every queue THEN it is a high-throughput FIFO queue without content-based de-duplication', () => {
    for (const [, queue] of Object.entries(queues)) {
      expect(queue.Properties).toMatchObject({
        FifoQueue: true,
        ContentBasedDeduplication: false,
        DeduplicationScope: 'messageGroup',
        FifoThroughputLimit: 'perMessageGroupId',
      });
    }
  });

  it('GIVEN every queue THEN it is encrypted at rest', () => {
    for (const [, queue] of Object.entries(queues)) expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
  });

  it('GIVEN every queue THEN its policy denies requests without TLS', () => {
    template.resourceCountIs('AWS::SQS::QueuePolicy', 6);
    for (const [, policy] of Object.entries(template.findResources('AWS::SQS::QueuePolicy'))) {
      expect(policy.Properties.PolicyDocument.Statement).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      );
    }
  });

  it('GIVEN every queue THEN it keeps messages for 14 days', () => {
    for (const [, queue] of Object.entries(queues)) expect(queue.Properties.MessageRetentionPeriod).toBe(1_209_600);
  });

  it('GIVEN a 30 s dispatcher WHEN synthesised THEN every lane hides a received message for at least 180 s', () => {
    for (const [, queue] of lanesOnly) expect(queue.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(180);
  });

  it('GIVEN default settings THEN each lane redrives to its own DLQ only after SQS maximum receive count', () => {
    const targets = lanesOnly.map(([, q]) => q.Properties.RedrivePolicy.deadLetterTargetArn['Fn::GetAtt'][0]);
    expect(new Set(targets).size).toBe(3);
    for (const [, queue] of lanesOnly) {
      expect(queue.Properties.RedrivePolicy.maxReceiveCount).toBe(1000);
    }
  });
});
