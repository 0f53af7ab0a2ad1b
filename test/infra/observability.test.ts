import { Match } from 'aws-cdk-lib/assertions';
import { synthGate } from './synth';

describe('Observability', () => {
  const { template } = synthGate({ outreachUsers: ['alice', 'bob'], alarmEmail: 'oncall@example.com' });
  const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
  const byMetric = (name: string) => alarms.filter((a) => a.MetricName === name);

  it('GIVEN three lanes THEN each dead-letter queue alarms on its first visible message', () => {
    expect(byMetric('ApproximateNumberOfMessagesVisible').map((a) => [a.Threshold, a.ComparisonOperator])).toEqual([
      [1, 'GreaterThanOrEqualToThreshold'],
      [1, 'GreaterThanOrEqualToThreshold'],
      [1, 'GreaterThanOrEqualToThreshold'],
    ]);
  });

  it('GIVEN default thresholds THEN lane age alarms are short for critical and long for bulk', () => {
    expect(byMetric('ApproximateAgeOfOldestMessage').map((a) => a.Threshold)).toEqual([60, 900, 7200]);
  });

  it('THEN the dispatcher alarms on errors and on throttles', () => {
    expect([byMetric('Errors').length, byMetric('Throttles').length]).toEqual([1, 1]);
  });

  it('THEN upstream 429s alarm on the custom metric the dispatcher publishes', () => {
    expect(byMetric('Upstream429')).toEqual([
      expect.objectContaining({
        Namespace: 'OutreachGate',
        Dimensions: [{ Name: 'service', Value: 'outreach-gate-dispatcher' }],
        Threshold: 5,
      }),
    ]);
  });

  it('GIVEN two users THEN each has a cool-down-too-long alarm', () => {
    expect(
      byMetric('CooldownRemaining').map((a) => a.Dimensions.find((d: { Name: string }) => d.Name === 'User').Value),
    ).toEqual(['alice', 'bob']);
  });

  it('THEN every alarm notifies the alarm topic', () => {
    for (const alarm of alarms)
      expect(alarm.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^ObservabilityAlarmTopic/) }]);
  });

  it('GIVEN an alarm email THEN it is subscribed to the topic', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com' });
  });

  it('THEN the alarm topic refuses publishers without TLS', () => {
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('THEN the dashboard shows lanes, DLQs, upstream status, 429s, deferrals, in-flight, budget and latency', () => {
    const body = JSON.stringify(
      Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0]?.Properties.DashboardBody,
    );
    const titles = [
      'Lane depth',
      'Oldest message age',
      'Dead-letter queue depth',
      'Upstream responses by status',
      'Upstream 429s',
      'Deferrals by reason',
      'In flight per user',
      'Remaining budget this window per user',
      'Upstream latency',
    ];
    expect(titles.filter((t) => !body.includes(t))).toEqual([]);
  });

  it('fails if the alarm email is not an email address', () => {
    expect(() => synthGate({ alarmEmail: 'oncall' })).toThrow(/alarmEmail must be an email address, got "oncall"/);
  });
});
