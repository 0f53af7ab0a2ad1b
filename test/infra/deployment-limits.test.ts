import { Template } from 'aws-cdk-lib/assertions';
import {
  DEPLOYMENT_LIMITS,
  type DeploymentMeasure,
  deploymentLimitViolations,
  measureDeployment,
} from '../../lib/deployment-limits';
import { OutreachGateStack } from '../../lib/outreach-gate-stack';
import { testApp } from './synth';

/** `count` Outreach users with realistic, long names (an email address each). */
const usersOf = (count: number) =>
  Array.from({ length: count }, (_, i) => `firstname.lastname-${String(i).padStart(3, '0')}@example-company.com`);

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

/** The figures of a measure, one line for the log. */
function figures(count: number, measure: DeploymentMeasure): string {
  const largest = (sizes: Readonly<Record<string, number>> | undefined) => Math.max(0, ...Object.values(sizes ?? {}));
  return [
    `${count} users:`,
    `resources ${measure.resources}/${DEPLOYMENT_LIMITS.cloudFormationResources}`,
    `template ${measure.templateBytes}/${DEPLOYMENT_LIMITS.cloudFormationTemplateBytes} bytes`,
    `outputs ${measure.outputs}/${DEPLOYMENT_LIMITS.cloudFormationOutputs}`,
    `largest environment ${largest(measure.environmentBytes)}/${DEPLOYMENT_LIMITS.lambdaEnvironmentBytes} bytes`,
    `largest role inline policies ${largest(measure.roleInlinePolicyChars)}/${DEPLOYMENT_LIMITS.iamRoleInlinePolicyChars} chars`,
    `largest trust policy ${largest(measure.trustPolicyChars)}/${DEPLOYMENT_LIMITS.iamTrustPolicyChars} chars`,
    `managed policies ${Object.keys(measure.managedPolicyChars ?? {}).length}`,
  ].join(' ');
}

describe('AWS limits of a deployment, checked at synthesis', () => {
  it.each([1, 50, 200])(
    'GIVEN %i Outreach users WHEN the stack is synthesized THEN it is within every CloudFormation, Lambda and IAM limit and synthesis succeeds',
    (count) => {
      const { measure, error } = synthesizeFor(count);
      console.log(figures(count, measure));
      expect({ error: error?.message, violations: deploymentLimitViolations(measure) }).toEqual({
        error: undefined,
        violations: [],
      });
    },
  );

  it('GIVEN 1 and 200 users THEN the environments and policies are the same size: nothing per user is in them', () => {
    const one = synthesizeFor(1).measure;
    const many = synthesizeFor(200).measure;
    expect([many.environmentBytes, many.roleInlinePolicyChars]).toEqual([
      one.environmentBytes,
      one.roleInlinePolicyChars,
    ]);
  });

  it('GIVEN a role whose inline policies exceed 10,240 characters WHEN measured and checked THEN the limit is named with the role and its size', () => {
    const statement = { Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${'b'.repeat(6000)}/*` };
    const policy = (name: string) => ({
      Type: 'AWS::IAM::Policy',
      Properties: { PolicyDocument: { Statement: [statement] }, Roles: [{ Ref: 'R' }], PolicyName: name },
    });
    const measure = measureDeployment(
      { Resources: { R: { Type: 'AWS::IAM::Role', Properties: {} }, P1: policy('a'), P2: policy('b') } },
      'Stack',
    );
    expect(deploymentLimitViolations(measure, 'Stack')).toEqual([
      `the inline policies of role R in Stack take ${measure.roleInlinePolicyChars?.R} characters with realistic ARNs; IAM allows 10240 per role.`,
    ]);
  });

  it('GIVEN a template with 201 outputs WHEN checked THEN the outputs limit is named', () => {
    const Outputs = Object.fromEntries(Array.from({ length: 201 }, (_, i) => [`O${i}`, { Value: 'v' }]));
    expect(deploymentLimitViolations(measureDeployment({ Resources: {}, Outputs }, 'Stack'), 'Stack')).toEqual([
      'Stack has 201 outputs; CloudFormation allows 200 per template.',
    ]);
  });

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
