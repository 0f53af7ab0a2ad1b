import { Template } from 'aws-cdk-lib/assertions';
import { DEPLOYMENT_LIMITS, deploymentLimitViolations, measureDeployment } from '../../lib/deployment-limits';
import { OutreachGateStack } from '../../lib/outreach-gate-stack';
import { testApp } from './synth';

const usersOf = (count: number) => Array.from({ length: count }, (_, i) => `user-${String(i).padStart(3, '0')}`);

/** The stack for `count` users, its measure (taken before synthesis), and what synthesis did. */
function synthesizeFor(count: number) {
  const stack = new OutreachGateStack(testApp(), 'OutreachGate', { outreachUsers: usersOf(count) });
  const measure = stack.measureDeployment();
  let error: Error | undefined;
  try {
    Template.fromStack(stack);
  } catch (caught) {
    error = caught as Error;
  }
  return { measure, error };
}

describe('AWS limits of a deployment, checked at synthesis', () => {
  it('GIVEN one Outreach user WHEN the stack is synthesized THEN it is within every limit and synthesis succeeds', () => {
    const { measure, error } = synthesizeFor(1);
    console.log(`1 user: ${JSON.stringify(measure)}`);
    expect({ error: error?.message, violations: deploymentLimitViolations(measure) }).toEqual({
      error: undefined,
      violations: [],
    });
  });

  it.each([50, 200])(
    "GIVEN %i Outreach users WHEN the stack is synthesized THEN synthesis stops naming Lambda's 4 KB environment limit and the measured size",
    (count) => {
      const { measure, error } = synthesizeFor(count);
      console.log(`${count} users: ${JSON.stringify(measure)}`);
      const bytes = Object.values(measure.environmentBytes)[0] as number;
      expect(error?.message).toContain(
        `take ${bytes} bytes with realistic ARNs; Lambda allows ${DEPLOYMENT_LIMITS.lambdaEnvironmentBytes} bytes (4 KB)`,
      );
    },
  );

  it('GIVEN a measure over 500 resources and 1 MB WHEN checked THEN each limit is named with its value', () => {
    expect(
      deploymentLimitViolations({ resources: 501, templateBytes: 1_000_001, environmentBytes: {} }, 'Gate'),
    ).toEqual([
      'Gate has 501 resources; CloudFormation allows 500 per stack.',
      'the template of Gate is 1000001 bytes; CloudFormation allows 1000000 bytes (1 MB).',
    ]);
  });

  it("GIVEN a function whose environment references a queue WHEN measured THEN the reference counts as the queue's realistic URL", () => {
    const measure = measureDeployment(
      {
        Resources: {
          Q: { Type: 'AWS::SQS::Queue', Properties: { FifoQueue: true } },
          F: { Type: 'AWS::Lambda::Function', Properties: { Environment: { Variables: { URL: { Ref: 'Q' } } } } },
        },
      },
      'Stack',
    );
    const url = 'https://sqs.ap-southeast-2.amazonaws.com/123456789012/Stack-Q-ABCDEFGHIJKL.fifo';
    expect(measure.environmentBytes).toEqual({ F: 'URL'.length + url.length });
  });
});
