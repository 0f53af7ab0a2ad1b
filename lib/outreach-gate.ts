import type { RemovalPolicy } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ITEM_PREFIX, type Lane } from '../lambdas/shared/names';
import { Credentials } from './constructs/credentials';
import { Dispatcher } from './constructs/dispatcher';
import { GateTable } from './constructs/gate-table';
import { Lanes } from './constructs/lanes';
import { Monitor } from './constructs/monitor';
import { Observability } from './constructs/observability';
import { gateMetricsNamespace } from './metrics-namespace';
import { type GateSettings, GateSettingsError, type GateSettingsInput, resolveGateSettings } from './settings';

/** Properties of {@link OutreachGate}: the gate's settings, where alarms go, and how the table is kept. */
export interface OutreachGateProps extends Omit<GateSettingsInput, 'reservedConcurrency'> {
  /**
   * The dispatcher's reserved concurrency: the gate's hard cap on concurrent dispatchers, and capacity no other
   * function in the account can take from it. A number must equal the sum of the lanes' `maxConcurrency`.
   * `false` reserves nothing, for the dispatcher or the monitor (which otherwise reserves 1): use it in accounts
   * whose Lambda concurrency quota is 10 (new accounts), where Lambda refuses any reservation because it keeps 10
   * unreserved. The lanes' `maxConcurrency` still bound the dispatchers, but a busy account can then throttle them.
   * @default - the sum of the lanes' maxConcurrency (10 with the default lanes), and 1 for the monitor
   */
  readonly reservedConcurrency?: number | false;
  /**
   * An email address that receives every alarm.
   * @default - no subscription; subscribe to `alarmTopic` yourself
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
  /**
   * The EventBridge bus that receives an event each time an intent settles (`Intent Succeeded`,
   * `Intent Dead-lettered`); see `completionEventPattern()`.
   * @default - the account's default bus when `completionEvents` is true, else no events
   */
  readonly completionEventBus?: events.IEventBus;
  /**
   * The CloudWatch namespace the gate's dispatcher and monitor publish their metrics to, and the only one its
   * alarms and dashboard read: unique to the gate, so two gates in one account and region never share a figure.
   * 1 to 255 characters: letters, digits, spaces and `. - _ / # :`, not starting with `AWS/` or `:`.
   * @default - `OutreachGate/<stack name>`, followed by the gate's construct path below its stack unless the gate
   *   is the stack's own (`OutreachGateStack`'s); cut to 255 characters with a hash when longer
   */
  readonly metricsNamespace?: string;
}

/**
 * The whole gate as one construct, to embed in any stack: priority lanes with their dead-letter queues, the gate
 * table, the Outreach credentials, the dispatcher, the monitor, and the alarms and dashboard on-call reads.
 * Settings are validated here: a bad value fails with a message naming it. Producers get access through {@link grantEnqueue} and {@link grantReadResults}.
 */
export class OutreachGate extends Construct {
  /** The resolved settings the gate was built from. */
  public readonly settings: GateSettings;
  /** The lanes and their dead-letter queues. */
  public readonly lanes: Lanes;
  /** The gate table (gate state, intent records, tokens). */
  public readonly gateTable: GateTable;
  /** The Outreach app secret and each user's refresh-token secret. */
  public readonly credentials: Credentials;
  /** The dispatcher function, its log group and its event source mappings. */
  public readonly dispatcher: Dispatcher;
  /** The scheduled monitor function. */
  public readonly monitor: Monitor;
  /** The alarm topic, the alarms and the dashboard. */
  public readonly observability: Observability;
  /** The CloudWatch namespace of the gate's metrics (the `metricsNamespace` prop, or its default). */
  public readonly metricsNamespace: string;

  constructor(scope: Construct, id: string, props: OutreachGateProps = {}) {
    super(scope, id);
    const reservation = props.reservedConcurrency;
    if (reservation !== undefined && reservation !== false && typeof reservation !== 'number') {
      throw new GateSettingsError(`reservedConcurrency must be a number or false, got ${JSON.stringify(reservation)}`);
    }
    const { metricsNamespace, ...settingsInput } = props;
    this.settings = resolveGateSettings({
      ...settingsInput,
      reservedConcurrency: reservation === false ? undefined : reservation,
    });
    this.metricsNamespace = gateMetricsNamespace(this, metricsNamespace);
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
      completionEventBus: props.completionEventBus,
      metricsNamespace: this.metricsNamespace,
    });
    this.monitor = new Monitor(this, 'Monitor', {
      settings: this.settings,
      table: this.gateTable,
      eventSources: this.dispatcher.eventSources,
      metricsNamespace: this.metricsNamespace,
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
      metricsNamespace: this.metricsNamespace,
    });
    if (reservation === false) {
      for (const fn of [this.dispatcher.function, this.monitor.function]) {
        (fn.node.defaultChild as lambda.CfnFunction).reservedConcurrentExecutions = undefined;
      }
    }
  }

  /** Each lane's SQS FIFO queue, by lane: where producers send intents. */
  public get laneQueues(): Readonly<Record<Lane, sqs.IQueue>> {
    return this.lanes.queues;
  }

  /** Each lane's dead-letter queue, by lane: intents that failed for good, each with its reason. */
  public get deadLetterQueues(): Readonly<Record<Lane, sqs.IQueue>> {
    return this.lanes.deadLetterQueues;
  }

  /** The gate table. Never grant producers read access to it directly: it holds the users' tokens. */
  public get table(): dynamodb.ITableV2 {
    return this.gateTable.table;
  }

  /** The dispatcher function, which consumes every lane. */
  public get dispatcherFunction(): lambda.IFunction {
    return this.dispatcher.function;
  }

  /** The topic every alarm notifies, when it fires and when it clears. */
  public get alarmTopic(): sns.ITopic {
    return this.observability.alarmTopic;
  }

  /** Lets a producer send intents to every lane: `sqs:SendMessage` on the three lane queues, nothing else. */
  public grantEnqueue(grantee: iam.IGrantable): iam.Grant {
    return this.lanes.grantEnqueue(grantee);
  }

  /**
   * Lets a producer read its intents' records and results (`getResult`): `dynamodb:GetItem` on the gate table,
   * limited by `dynamodb:LeadingKeys` to intent items, so it can read neither the gate's state nor the users' tokens.
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
