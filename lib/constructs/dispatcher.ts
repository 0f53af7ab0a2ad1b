import * as path from 'node:path';
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as lambdaNodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { environmentConfigText } from '../../lambdas/shared/config';
import { ENV, LANES, type Lane, SERVICE_NAME } from '../../lambdas/shared/names';
import { prebuiltHandlerCode } from '../handler-code';
import { gateMetricsNamespace } from '../metrics-namespace';
import { assertDispatcherWiring, type GateSettings } from '../settings';
import type { Credentials } from './credentials';
import type { GateTable } from './gate-table';
import type { Lanes } from './lanes';

/** Properties of {@link Dispatcher}. */
export interface DispatcherProps {
  /** The gate's resolved settings: lanes' batch size and concurrency, timeouts, and the runtime configuration. */
  readonly settings: GateSettings;
  /** The lanes the dispatcher consumes and dead-letters to. */
  readonly lanes: Lanes;
  /** The gate table. */
  readonly table: GateTable;
  /** The Outreach credentials. */
  readonly credentials: Credentials;
  /**
   * How long the dispatcher's logs are kept.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * The EventBridge bus each settled intent is announced on ("Intent Succeeded", "Intent Dead-lettered"); the
   * dispatcher may put events on this bus only.
   * @default - the account's default bus when `settings.completionEvents` is on, else no events
   */
  readonly completionEventBus?: events.IEventBus;
  /**
   * The CloudWatch namespace the dispatcher publishes its metrics to (`POWERTOOLS_METRICS_NAMESPACE`).
   * @default - the default namespace of the gate holding this construct: `OutreachGate/<stack>[/<path>]`
   */
  readonly metricsNamespace?: string;
}

/** Path of the dispatcher's handler module. */
export const DISPATCHER_ENTRY = path.join(__dirname, '..', '..', 'lambdas', 'dispatcher', 'handler.ts');

/**
 * The dispatcher: one Lambda function consuming every lane through its own event source mapping (batch size
 * and maxConcurrency per lane, partial batch responses, no batching window since FIFO forbids it). Its
 * reserved concurrency equals the sum of the lanes' maxConcurrency, so Lambda never throttles a mapping.
 * Its role may touch only its own queues (consume, change visibility, send a recycled message again, send to
 * the dead-letter queues), the gate table and the Outreach secrets.
 */
export class Dispatcher extends Construct {
  /** The function. */
  public readonly function: lambdaNodejs.NodejsFunction;
  /** Each lane's event source mapping (the monitor pauses and resumes them). */
  public readonly eventSources: Readonly<Record<Lane, SqsEventSource>>;
  /** The dispatcher's log group (its dead-letter reasons are queried from it). */
  public readonly logGroup: logs.ILogGroup;
  /** The bus completion events go to; undefined when they are off. */
  public readonly completionEventBus?: events.IEventBus;

  constructor(scope: Construct, id: string, props: DispatcherProps) {
    super(scope, id);
    const { settings, lanes, table, credentials } = props;
    assertDispatcherWiring(settings);

    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    });
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'outreach-gate dispatcher: its lanes, its table, its secrets, its log group',
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );

    const laneEndpoints = Object.fromEntries(
      LANES.map((lane) => [
        lane,
        {
          queueUrl: lanes.queues[lane].queueUrl,
          queueArn: lanes.queues[lane].queueArn,
          deadLetterQueueUrl: lanes.deadLetterQueues[lane].queueUrl,
        },
      ]),
    );
    const stack = Stack.of(this);
    const bus =
      props.completionEventBus ??
      (settings.completionEvents ? events.EventBus.fromEventBusName(this, 'CompletionEventBus', 'default') : undefined);

    this.function = new lambdaNodejs.NodejsFunction(this, 'Function', {
      entry: DISPATCHER_ENTRY,
      code: prebuiltHandlerCode('dispatcher'),
      handler: 'index.handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: settings.dispatcherMemoryMiB,
      timeout: Duration.seconds(settings.dispatcherTimeoutSeconds),
      reservedConcurrentExecutions: settings.reservedConcurrency,
      tracing: settings.tracing ? lambda.Tracing.ACTIVE : lambda.Tracing.DISABLED,
      role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      description: 'outreach-gate dispatcher: admits intents through the gate and calls Outreach',
      environment: {
        [ENV.tableName]: table.table.tableName,
        [ENV.lanes]: stack.toJsonString(laneEndpoints),
        [ENV.config]: environmentConfigText(settings.gate),
        [ENV.appSecretArn]: credentials.appSecret.secretArn,
        ...(bus === undefined ? {} : { [ENV.completionEventBus]: bus.eventBusArn }),
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        [ENV.metricsNamespace]: gateMetricsNamespace(scope, props.metricsNamespace),
        POWERTOOLS_TRACE_ENABLED: String(settings.tracing),
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        minify: true,
        sourceMap: true,
        target: 'node24',
        format: lambdaNodejs.OutputFormat.CJS,
      },
    });

    // Only what the handler calls (GetCommand, UpdateCommand): every write to the table is a conditional update.
    table.table.grant(this.function, 'dynamodb:GetItem', 'dynamodb:UpdateItem');
    credentials.configure(this.function);
    credentials.grantUse(this.function);
    bus?.grantPutEventsTo(this.function);
    this.completionEventBus = bus;
    if (settings.tracing) {
      Validations.of(role).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason:
          'X-Ray accepts trace segments only on resource "*" (xray:PutTraceSegments and PutTelemetryRecords have no resource-level permissions); granted only when tracing is on.',
      });
    }
    const eventSources: Partial<Record<Lane, SqsEventSource>> = {};
    for (const lane of LANES) {
      const laneSettings = settings.lanes[lane];
      // Deferrals change a message's visibility; recycling sends a deferred message again on its own lane.
      lanes.queues[lane].grant(this.function, 'sqs:ChangeMessageVisibility', 'sqs:SendMessage');
      // Dead-lettering sends the intent with its reason; nothing else is done on a dead-letter queue.
      lanes.deadLetterQueues[lane].grant(this.function, 'sqs:SendMessage');
      const source = new SqsEventSource(lanes.queues[lane], {
        batchSize: laneSettings.batchSize,
        maxConcurrency: laneSettings.maxConcurrency,
        reportBatchItemFailures: true,
      });
      this.function.addEventSource(source);
      eventSources[lane] = source;
    }
    this.eventSources = eventSources as Record<Lane, SqsEventSource>;
    this.logGroup = logGroup;
  }
}
