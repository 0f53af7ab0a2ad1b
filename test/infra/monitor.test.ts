import { Duration } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { Monitor } from '../../lib/constructs/monitor';
import { synthGate } from './synth';

describe('Monitor', () => {
  const { stack, template } = synthGate({ outreachUsers: ['alice', 'bob'], pumpPauseAfterSeconds: 420 });
  const monitorRole = () => {
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: stack.getLogicalId(stack.monitor.function.role?.node.defaultChild as never) }] },
    });
    return Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement);
  };

  it('THEN a rule runs the monitor every minute', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [stack.getLogicalId(stack.monitor.function.node.defaultChild as never), 'Arn'] },
        }),
      ],
    });
  });

  it('GIVEN a pause threshold of 420 s THEN the monitor gets it in milliseconds with the mapping ids of every lane', () => {
    const fn = template.findResources('AWS::Lambda::Function', {
      Properties: { Description: Match.stringLikeRegexp('^outreach-gate monitor') },
    });
    const env = Object.values(fn)[0]?.Properties.Environment.Variables;
    expect({ pause: env.PUMP_PAUSE_AFTER_MS, mappings: JSON.stringify(env.GATE_EVENT_SOURCE_MAPPINGS) }).toEqual({
      pause: '420000',
      mappings: expect.stringMatching(/critical.*DispatcherFunctionSqsEventSource.*standard.*bulk/),
    });
  });

  it('THEN the monitor may update exactly the dispatcher’s three event source mappings', () => {
    const statement = monitorRole().find((s) => s.Action === 'lambda:UpdateEventSourceMapping');
    const mappings = Object.keys(template.findResources('AWS::Lambda::EventSourceMapping'));
    expect(JSON.stringify(statement.Resource)).toEqual(
      expect.stringContaining(`event-source-mapping:",{"Ref":"${mappings[0]}"}`),
    );
    expect(statement.Resource.length).toBe(3);
    for (const id of mappings) expect(JSON.stringify(statement.Resource)).toContain(`{"Ref":"${id}"}`);
  });

  it('THEN the monitor reads only gate and pump items and writes only pump items', () => {
    const dynamo = monitorRole()
      .filter((s) => JSON.stringify(s.Action).includes('dynamodb:'))
      .map((s) => [s.Action, s.Condition]);
    expect(dynamo).toEqual([
      ['dynamodb:GetItem', { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['gate#*', 'pump#*'] } }],
      [
        ['dynamodb:PutItem', 'dynamodb:DeleteItem'],
        { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['pump#*'] } },
      ],
    ]);
  });

  it('GIVEN an interval that is not whole minutes THEN construction fails naming it', () => {
    const { stack: other } = synthGate();
    expect(
      () =>
        new Monitor(other, 'Other', {
          settings: other.settings,
          table: other.gateTable,
          eventSources: other.dispatcher.eventSources,
          interval: Duration.seconds(90),
        }),
    ).toThrow('interval must be a whole number of minutes from 1 to 60, got 1 minute 30 seconds');
  });
});
