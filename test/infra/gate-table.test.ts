import { RemovalPolicy } from 'aws-cdk-lib';
import { synthGate } from './synth';

describe('GateTable', () => {
  const { template } = synthGate();

  it('GIVEN default props THEN the table is on-demand with the gate key and TTL attribute', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  it('GIVEN default props THEN point-in-time recovery and deletion protection are on', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      Replicas: [
        {
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          DeletionProtectionEnabled: true,
        },
      ],
    });
  });

  it('GIVEN default props THEN the table is encrypted with the AWS-managed key', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
    });
  });

  it('GIVEN default props THEN the table is retained when it leaves the stack', () => {
    template.hasResource('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  it('GIVEN deletion protection off and DESTROY WHEN synthesised THEN the table can be deleted', () => {
    const { template: custom } = synthGate({
      tableDeletionProtection: false,
      tableRemovalPolicy: RemovalPolicy.DESTROY,
    });
    custom.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Delete',
      Properties: { Replicas: [{ DeletionProtectionEnabled: false }] },
    });
  });
});
