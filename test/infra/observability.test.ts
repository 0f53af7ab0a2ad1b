import type { Template } from 'aws-cdk-lib/assertions';
import { Match } from 'aws-cdk-lib/assertions';
import {
  COMPLETION_EVENTS_FAILED_METRIC,
  CREDENTIAL_METRIC,
  METRIC,
  metricDimensionSets,
} from '../../lambdas/shared/names';
import { synthGate } from './synth';

/** The namespace of the gate of an OutreachGateStack named `Gate`: the prefix and the stack's name, no path. */
const NAMESPACE = 'OutreachGate/Gate';

interface Widget {
  readonly type: string;
  readonly properties: {
    readonly metrics?: unknown[][];
    readonly markdown?: string;
    readonly title?: string;
    readonly query?: string;
  };
}

/** The synthesized dashboard body, with every CloudFormation token read as 'TOKEN'. */
function dashboardBody(template: Template): { start: string; widgets: (Widget & { y: number; x: number })[] } {
  const body = Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0]?.Properties.DashboardBody;
  const parts: unknown[] = typeof body === 'string' ? [body] : body['Fn::Join'][1];
  return JSON.parse(parts.map((part) => (typeof part === 'string' ? part : 'TOKEN')).join(''));
}

/** The synthesized dashboard's widgets, top to bottom. */
function dashboardWidgets(template: Template): Widget[] {
  return dashboardBody(template).widgets.sort((a, b) => a.y - b.y || a.x - b.x);
}

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

  it('THEN the dispatcher alarms on errors and on throttles, the monitor on errors', () => {
    const functionOf = (a: { Dimensions: { Name: string; Value: { Ref: string } }[] }) =>
      a.Dimensions.find((d) => d.Name === 'FunctionName')?.Value.Ref.replace(/Function.*/, '');
    expect([byMetric('Errors').map(functionOf), byMetric('Throttles').map(functionOf)]).toEqual([
      ['Dispatcher', 'Monitor'],
      ['Dispatcher'],
    ]);
  });

  it('THEN upstream 429s alarm on the custom metric the dispatcher publishes', () => {
    expect(byMetric('Upstream429')).toEqual([
      expect.objectContaining({
        Namespace: NAMESPACE,
        Dimensions: [{ Name: 'service', Value: 'outreach-gate-dispatcher' }],
        Threshold: 5,
      }),
    ]);
  });

  /** The alarms on a Metrics Insights query, by their query. */
  const insightsAlarms = alarms
    .filter((a) => Array.isArray(a.Metrics) && a.Metrics.length === 1 && /^SELECT /.test(a.Metrics[0].Expression))
    .map((a) => ({ query: a.Metrics[0].Expression as string, period: a.Metrics[0].Period as number, alarm: a }));

  it('GIVEN a 900 s threshold THEN one alarm over every user fires when the monitor has read a cool-down of a user in each of 15 straight minutes', () => {
    expect(
      insightsAlarms
        .filter((a) => a.query.includes('GateCooldownRemaining'))
        .map(({ query, period, alarm: a }) => ({
          query,
          rule: [a.ComparisonOperator, a.Threshold, period, a.EvaluationPeriods, a.DatapointsToAlarm],
        })),
    ).toEqual([
      {
        query: `SELECT MIN(GateCooldownRemaining) FROM "${NAMESPACE}" WHERE service = 'outreach-gate-monitor' GROUP BY User`,
        rule: ['GreaterThanThreshold', 0, 60, 15, 15],
      },
    ]);
  });

  it('THEN one alarm over every user fires on the credential-health metric, grouped by user and cause, and says to re-authorise the user', () => {
    expect(
      insightsAlarms
        .filter((a) => a.query.includes('CredentialsPaused'))
        .map(({ query, alarm: a }) => ({ query, threshold: a.Threshold, description: a.AlarmDescription })),
    ).toEqual([
      {
        query: `SELECT MAX(CredentialsPaused) FROM "${NAMESPACE}" WHERE service = 'outreach-gate-dispatcher' GROUP BY User, Cause`,
        threshold: 1,
        description: expect.stringMatching(
          /invalid-grant.*not-set.*store the new refresh token in the secret <prefix>\/<user>.* Runbook: README\.md#alarm-user-credentials$/s,
        ),
      },
    ]);
  });

  it('GIVEN 2 or 30 users THEN the stack has the same alarms: none is per user', () => {
    const count = (users: number) =>
      Object.keys(
        synthGate({ outreachUsers: Array.from({ length: users }, (_, i) => `u${i}`) }).template.findResources(
          'AWS::CloudWatch::Alarm',
        ),
      ).sort();
    expect(count(30)).toEqual(count(2));
  });

  it('THEN every alarm notifies the alarm topic when it fires and when it clears', () => {
    const topic = [{ Ref: expect.stringMatching(/^ObservabilityAlarmTopic/) }];
    for (const alarm of alarms) expect([alarm.AlarmActions, alarm.OKActions]).toEqual([topic, topic]);
  });

  it('THEN every alarm description says what it means and ends with the link to its runbook section', () => {
    for (const alarm of alarms)
      expect(alarm.AlarmDescription).toMatch(/^[A-Z].{20,}[.:] Runbook: README\.md#alarm-[a-z0-9-]+$/s);
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

  it('THEN the dashboard graphs every metric the dispatcher and the monitor publish', () => {
    const graphed = new Set(
      dashboardWidgets(template).flatMap((w) =>
        (w.properties.metrics ?? []).flatMap((m) => {
          const head = m[0];
          if (head === NAMESPACE) return [String(m[1])];
          const expression = (head as { expression?: string }).expression ?? '';
          return [...expression.matchAll(/MetricName="(\w+)"/g)].map((match) => match[1]);
        }),
      ),
    );
    const published = [...Object.values(METRIC), CREDENTIAL_METRIC, COMPLETION_EVENTS_FAILED_METRIC];
    expect(published.filter((name) => !graphed.has(name))).toEqual([]);
  });

  it('THEN the dashboard graphs every metric by every dimension set it is published with (429s and deferrals by lane and by user too)', () => {
    const graphed = new Set(
      dashboardWidgets(template).flatMap((w) =>
        (w.properties.metrics ?? []).flatMap((m) => {
          if (m[0] === NAMESPACE) {
            const dimensions = m
              .slice(2)
              .filter((part) => typeof part === 'string')
              .filter((_, i) => i % 2 === 0)
              .filter((d) => d !== 'service');
            return [`${m[1]}/${dimensions[0] ?? '-'}`];
          }
          const expression = (m[0] as { expression?: string }).expression ?? '';
          return [...expression.matchAll(/\{"OutreachGate\/Gate",service,(\w+)\} MetricName="(\w+)"/g)].map(
            (match) => `${match[2]}/${match[1]}`,
          );
        }),
      ),
    );
    const published = (Object.keys(METRIC) as (keyof typeof METRIC)[]).flatMap((name) =>
      metricDimensionSets(name).map((dimension) => `${METRIC[name]}/${dimension ?? '-'}`),
    );
    expect({
      missing: published.filter((series) => !graphed.has(series)),
      breakdowns: published.filter((series) => /^(Upstream429|Deferrals)\//.test(series)),
    }).toEqual({
      missing: [],
      breakdowns: [
        'Upstream429/-',
        'Upstream429/Lane',
        'Upstream429/User',
        'Deferrals/Reason',
        'Deferrals/Lane',
        'Deferrals/User',
      ],
    });
  });

  it('THEN deferrals and upstream statuses are graphed by a search, so a reason unknown at deployment still shows', () => {
    const expressions = dashboardWidgets(template).flatMap((w) =>
      (w.properties.metrics ?? []).map((m) => (m[0] as { expression?: string }).expression).filter(Boolean),
    );
    expect(expressions).toEqual(
      expect.arrayContaining([
        `SEARCH('{"${NAMESPACE}",service,Reason} MetricName="Deferrals" service="outreach-gate-dispatcher"', 'Sum', 60)`,
        `SEARCH('{"${NAMESPACE}",service,Status} MetricName="UpstreamCalls" service="outreach-gate-dispatcher"', 'Sum', 60)`,
      ]),
    );
  });

  it('THEN the dashboard opens on the last hour, with the runbook link, then the alarms', () => {
    const [text, alarmStatus] = dashboardWidgets(template);
    expect([
      dashboardBody(template).start,
      text?.type,
      text?.properties.markdown,
      alarmStatus?.properties.title,
    ]).toEqual(['-PT1H', 'text', expect.stringContaining('[runbook](README.md#runbook)'), 'Alarms']);
  });

  it('THEN a Logs Insights table on the dispatcher log counts the last dead letters by reason and Outreach error id', () => {
    const query = dashboardWidgets(template).find((w) => w.type === 'log');
    expect(query?.properties.query).toEqual(
      expect.stringMatching(
        /^SOURCE 'TOKEN' \| filter message = "intent dead-lettered".*by reason, error\.status as status, error\.outreachErrorId as outreachErrorId/s,
      ),
    );
  });

  it('GIVEN a runbook URL with an anchor THEN synthesis fails naming it', () => {
    expect(() => synthGate({ runbookUrl: 'https://example.com/README.md#runbook' })).toThrow(
      'runbookUrl must be the README\'s URL without an anchor, got "https://example.com/README.md#runbook"',
    );
  });

  it('fails if the alarm email is not an email address', () => {
    expect(() => synthGate({ alarmEmail: 'oncall' })).toThrow(/alarmEmail must be an email address, got "oncall"/);
  });
});
