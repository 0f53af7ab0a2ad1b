import { CfnOutput, type RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { ITEM_PREFIX, LANES } from '../lambdas/shared/names';
import { Credentials } from './constructs/credentials';
import { Dispatcher } from './constructs/dispatcher';
import { GateTable } from './constructs/gate-table';
import { Lanes } from './constructs/lanes';
import { Monitor } from './constructs/monitor';
import { Observability } from './constructs/observability';
import { type DeploymentMeasure, deploymentLimitViolations, measureDeployment } from './deployment-limits';
import { type GateSettings, type GateSettingsInput, resolveGateSettings } from './settings';
import { STACK_OUTPUT } from './stack-outputs';

/** Properties of {@link OutreachGateStack}. */
export interface OutreachGateStackProps extends StackProps, GateSettingsInput {
  /**
   * An email address that receives every alarm.
   * @default - no subscription
   */
  readonly alarmEmail?: string;
  /**
   * The README's URL (without an anchor): every alarm and the dashboard link to its runbook sections there.
   * @default 'README.md'
   */
  readonly runbookUrl?: string;
  /**
   * Refuse to delete the gate table.
   * @default true
   */
  readonly tableDeletionProtection?: boolean;
  /**
   * What happens to the gate table when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly tableRemovalPolicy?: RemovalPolicy;
}

/**
 * The whole gate: priority lanes with their dead-letter queues, the gate table, the Outreach credentials,
 * the dispatcher, and the alarms and dashboard on-call reads.
 */
export class OutreachGateStack extends Stack {
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
    this.settings = resolveGateSettings(props);
    this.lanes = new Lanes(this, 'Lanes', { lanes: this.settings.lanes });
    this.gateTable = new GateTable(this, 'GateTable', {
      deletionProtection: props.tableDeletionProtection,
      removalPolicy: props.tableRemovalPolicy,
    });
    this.credentials = new Credentials(this, 'Credentials', {
      users: this.settings.gate.users,
      refreshTokenSecretPrefix: this.settings.refreshTokenSecretPrefix,
    });
    this.dispatcher = new Dispatcher(this, 'Dispatcher', {
      settings: this.settings,
      lanes: this.lanes,
      table: this.gateTable,
      credentials: this.credentials,
    });
    this.monitor = new Monitor(this, 'Monitor', {
      settings: this.settings,
      table: this.gateTable,
      eventSources: this.dispatcher.eventSources,
    });
    this.credentials.configure(this.monitor.function);
    this.observability = new Observability(this, 'Observability', {
      settings: this.settings,
      lanes: this.lanes,
      dispatcher: this.dispatcher.function,
      dispatcherLogGroup: this.dispatcher.logGroup,
      monitor: this.monitor.function,
      alarmEmail: props.alarmEmail,
      runbookUrl: props.runbookUrl,
    });

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

  /** Lets a producer send intents to every lane (sqs:SendMessage only). */
  public grantEnqueue(grantee: iam.IGrantable): void {
    this.lanes.grantEnqueue(grantee);
  }

  /**
   * Lets a producer read its intents' records and results (`getResult`): `dynamodb:GetItem` on the gate table,
   * limited to intent items, so it can read neither the gate's state nor the users' tokens.
   */
  public grantReadResults(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:GetItem'],
      resourceArns: [this.gateTable.table.tableArn],
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${ITEM_PREFIX.intent}*`] } },
    });
  }
}
