import * as path from 'node:path';
import { Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as lambdaNodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { environmentConfigText } from '../../lambdas/shared/config';
import { ENV, ITEM_PREFIX, LANES, type Lane, MONITOR_SERVICE_NAME } from '../../lambdas/shared/names';
import { prebuiltHandlerCode } from '../handler-code';
import { gateMetricsNamespace } from '../metrics-namespace';
import type { GateSettings } from '../settings';
import type { GateTable } from './gate-table';

/** Properties of {@link Monitor}. */
export interface MonitorProps {
  /** The gate's resolved settings (users, budget, leases, the pause threshold). */
  readonly settings: GateSettings;
  /** The gate table whose `gate#` items the monitor reads and where it records its pauses. */
  readonly table: GateTable;
  /** The dispatcher's event source mapping of each lane: the only mappings the monitor may change. */
  readonly eventSources: Readonly<Record<Lane, SqsEventSource>>;
  /**
   * How often the monitor runs. Between 1 and 60 minutes, in whole minutes.
   * @default Duration.minutes(1)
   */
  readonly interval?: Duration;
  /**
   * How long the monitor's logs are kept.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * The CloudWatch namespace the monitor publishes its gauges to (`POWERTOOLS_METRICS_NAMESPACE`).
   * @default - the default namespace of the gate holding this construct: `OutreachGate/<stack>[/<path>]`
   */
  readonly metricsNamespace?: string;
}

/** The monitor's handler source, bundled by esbuild. */
export const MONITOR_ENTRY = path.join(__dirname, '..', '..', 'lambdas', 'monitor', 'handler.ts');

/**
 * A small Lambda run on a schedule: it publishes every user's cool-down, budget, in-flight and circuit gauges
 * from the gate items (so alarms measure what lasts), and pauses a lane's event source mappings while every
 * user it serves cools down longer than `pumpPauseAfterSeconds`, resuming them when the earliest cool-down
 * ends. Its role reads only `gate#`/`pump#` items, writes only `pump#` items and changes only the dispatcher's
 * mappings.
 */
export class Monitor extends Construct {
  /** The function. */
  public readonly function: lambdaNodejs.NodejsFunction;
  /** The schedule that runs it. */
  public readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: MonitorProps) {
    super(scope, id);
    const { settings, table, eventSources } = props;
    const interval = props.interval ?? Duration.minutes(1);
    const minutes = interval.toMinutes({ integral: false });
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > 60) {
      throw new Error(`interval must be a whole number of minutes from 1 to 60, got ${interval.toHumanString()}`);
    }

    const logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH });
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: "outreach-gate monitor: reads gate items, records its pauses, switches the dispatcher's mappings",
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    const leadingKeys = (prefixes: string[]) => ({
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': prefixes.map((prefix) => `${prefix}*`) },
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:GetItem'],
        resources: [table.table.tableArn],
        conditions: leadingKeys([ITEM_PREFIX.gate, ITEM_PREFIX.pump]),
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:PutItem', 'dynamodb:DeleteItem'],
        resources: [table.table.tableArn],
        conditions: leadingKeys([ITEM_PREFIX.pump]),
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['lambda:UpdateEventSourceMapping'],
        resources: LANES.map((lane) => eventSources[lane].eventSourceMappingArn),
      }),
    );

    const stack = Stack.of(this);
    const mappings = Object.fromEntries(LANES.map((lane) => [lane, [eventSources[lane].eventSourceMappingId]]));
    this.function = new lambdaNodejs.NodejsFunction(this, 'Function', {
      entry: MONITOR_ENTRY,
      code: prebuiltHandlerCode('monitor'),
      handler: 'index.handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.seconds(30),
      reservedConcurrentExecutions: 1,
      role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      description: 'outreach-gate monitor: gate gauges every minute; pauses lanes during long cool-downs',
      environment: {
        [ENV.tableName]: table.table.tableName,
        [ENV.config]: environmentConfigText(settings.gate),
        [ENV.eventSourceMappings]: stack.toJsonString(mappings),
        [ENV.pauseAfterMs]: String(settings.pumpPauseAfterSeconds * 1000),
        POWERTOOLS_SERVICE_NAME: MONITOR_SERVICE_NAME,
        [ENV.metricsNamespace]: gateMetricsNamespace(scope, props.metricsNamespace),
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: { minify: true, sourceMap: true, target: 'node24', format: lambdaNodejs.OutputFormat.CJS },
    });
    this.rule = new events.Rule(this, 'Schedule', {
      schedule: events.Schedule.rate(interval),
      description: 'Runs the outreach-gate monitor',
      targets: [new targets.LambdaFunction(this.function, { retryAttempts: 0 })],
    });
  }
}
