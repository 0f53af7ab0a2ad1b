import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { LANES } from '../lambdas/shared/names';
import type { Credentials } from './constructs/credentials';
import type { Dispatcher } from './constructs/dispatcher';
import type { GateTable } from './constructs/gate-table';
import type { Lanes } from './constructs/lanes';
import type { Monitor } from './constructs/monitor';
import type { Observability } from './constructs/observability';
import { type DeploymentMeasure, deploymentLimitViolations, measureDeployment } from './deployment-limits';
import { OutreachGate, type OutreachGateProps } from './outreach-gate';
import type { GateSettings } from './settings';
import { STACK_OUTPUT } from './stack-outputs';

/** Properties of {@link OutreachGateStack}: a stack's own properties and every {@link OutreachGate} property. */
export interface OutreachGateStackProps extends StackProps, OutreachGateProps {}

/**
 * A stack holding one {@link OutreachGate} and the outputs the `outreach-gate` CLI and producers read (lane URLs
 * and ARNs, dead-letter queue URLs, the table, the dispatcher, the secrets). The gate is added with the id
 * `Default`, which the CDK leaves out of logical ids, so its resources keep the logical ids they had when the
 * stack built them itself: upgrading a deployed stack replaces no table, queue or secret.
 */
export class OutreachGateStack extends Stack {
  /** The gate this stack holds. */
  public readonly gate: OutreachGate;
  /** The resolved settings this stack was built from. */
  public readonly settings: GateSettings;
  public readonly lanes: Lanes;
  public readonly gateTable: GateTable;
  public readonly credentials: Credentials;
  public readonly dispatcher: Dispatcher;
  public readonly observability: Observability;
  public readonly monitor: Monitor;

  constructor(scope: Construct, id: string, props: OutreachGateStackProps = {}) {
    super(scope, id, props);
    this.gate = new OutreachGate(this, 'Default', props);
    this.settings = this.gate.settings;
    this.lanes = this.gate.lanes;
    this.gateTable = this.gate.gateTable;
    this.credentials = this.gate.credentials;
    this.dispatcher = this.gate.dispatcher;
    this.monitor = this.gate.monitor;
    this.observability = this.gate.observability;

    for (const lane of LANES) {
      new CfnOutput(this, STACK_OUTPUT.laneUrl(lane), {
        value: this.lanes.queues[lane].queueUrl,
        description: `URL of the ${lane} lane (SQS FIFO) producers send intents to`,
      });
      new CfnOutput(this, STACK_OUTPUT.laneArn(lane), {
        value: this.lanes.queues[lane].queueArn,
        description: `ARN of the ${lane} lane: outreach-gate pause/resume find its event source mapping by it`,
      });
      new CfnOutput(this, STACK_OUTPUT.deadLetterQueueUrl(lane), {
        value: this.lanes.deadLetterQueues[lane].queueUrl,
        description: `URL of the ${lane} lane's dead-letter queue: outreach-gate dlq list/show/redrive read it`,
      });
    }
    new CfnOutput(this, STACK_OUTPUT.dispatcherFunctionName, {
      value: this.dispatcher.function.functionName,
      description: 'The dispatcher function: its event source mappings are the lanes outreach-gate pause/resume switch',
    });
    new CfnOutput(this, STACK_OUTPUT.gateConfig, {
      value: JSON.stringify(this.settings.gate),
      description: "The dispatcher's configuration (users, budget, leases) that outreach-gate status reads",
    });
    new CfnOutput(this, STACK_OUTPUT.gateTableName, {
      value: this.gateTable.table.tableName,
      description: 'Gate table: the producer client reads intent results from it',
    });
    new CfnOutput(this, 'OutreachAppSecretArn', {
      value: this.credentials.appSecret.secretArn,
      description: 'Set to {"clientId":"…","clientSecret":"…"} of your Outreach OAuth app',
    });
    new CfnOutput(this, 'RefreshTokenSecretPrefix', {
      value: this.credentials.refreshTokenSecretPrefix,
      description: "Store each Outreach user's refresh token in the secret named <prefix>/<user>",
    });
    new CfnOutput(this, 'MetricsNamespace', {
      value: this.gate.metricsNamespace,
      description: "The CloudWatch namespace of the gate's metrics: its alarms and dashboard read it, and only it",
    });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.observability.alarmTopic.topicArn });
    this.node.addValidation({ validate: () => deploymentLimitViolations(this.measureDeployment(), this.stackName) });
  }

  /**
   * The template measured against the AWS limits a deployment can break (Lambda's 4 KB of environment variables,
   * CloudFormation's 500 resources and 1 MB template); synthesis fails naming any limit broken.
   */
  public measureDeployment(): DeploymentMeasure {
    return measureDeployment(this._toCloudFormation(), this.stackName);
  }

  /** Lets a producer send intents to every lane (`sqs:SendMessage` only); see {@link OutreachGate.grantEnqueue}. */
  public grantEnqueue(grantee: iam.IGrantable): iam.Grant {
    return this.gate.grantEnqueue(grantee);
  }

  /** Lets a producer read its intents' results, never a token; see {@link OutreachGate.grantReadResults}. */
  public grantReadResults(grantee: iam.IGrantable): iam.Grant {
    return this.gate.grantReadResults(grantee);
  }
}
