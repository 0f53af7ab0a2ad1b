import { LambdaClient, UpdateEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDbPumpPauses } from '../../lambdas/adapters/dynamodb-pump-pauses';
import { LambdaEventSourceSwitch } from '../../lambdas/adapters/lambda-event-source-switch';
import type { UserGauges } from '../../lambdas/monitor/decide';
import { monitorTick } from '../../lambdas/monitor/monitor';
import type { MonitorMetrics } from '../../lambdas/monitor/ports';
import { wireMonitor } from '../../lambdas/monitor/wiring';
import { gateKey, type Lane, pumpKey, TABLE_KEYS } from '../../lambdas/shared/names';
import { resolveGateSettings } from '../../lib/settings';
import { useDynamoDbLocal } from '../support/dynamodb';

const NOW = 1_800_000_000_000;
const MIN = 60_000;
const MAPPINGS: Record<Lane, string[]> = { critical: ['esm-critical'], standard: ['esm-standard'], bulk: ['esm-bulk'] };

describe('monitor tick against DynamoDB Local, with the Lambda client mocked at the SDK boundary', () => {
  const dynamo = useDynamoDbLocal();
  const lambda = new LambdaClient({ region: 'eu-west-1' });
  const lambdaMock = mockClient(lambda);
  /** The UpdateEventSourceMapping requests the monitor sent, in order. */
  const updates = () => lambdaMock.commandCalls(UpdateEventSourceMappingCommand).map((call) => call.args[0].input);

  async function world(cooldownUntil: Record<string, number | undefined>) {
    lambdaMock.reset();
    lambdaMock.on(UpdateEventSourceMappingCommand).resolves({});
    const tableName = await dynamo.createGateTable();
    for (const [user, until] of Object.entries(cooldownUntil)) {
      if (until === undefined) continue;
      await dynamo.documentClient.send(
        new PutCommand({
          TableName: tableName,
          Item: { [TABLE_KEYS.partitionKey]: gateKey(user), cooldownUntil: until },
        }),
      );
    }
    const settings = resolveGateSettings({ outreachUsers: Object.keys(cooldownUntil) });
    const gauges: Record<string, UserGauges> = {};
    const paused: Partial<Record<Lane, boolean>> = {};
    const metrics: MonitorMetrics = {
      user: (user, g) => {
        gauges[user] = g;
      },
      lanePaused: (lane, p) => {
        paused[lane] = p;
      },
    };
    const lambdaSwitch = new LambdaEventSourceSwitch(lambda, MAPPINGS);
    /** Runs before each mapping change the monitor makes: a stand-in for an operator acting at that moment. */
    const hooks: { beforeSwitch?: (lane: Lane, enabled: boolean) => Promise<void> } = {};
    const parts = wireMonitor({
      environment: { tableName, config: settings.gate, mappings: MAPPINGS, pauseAfterMs: 5 * MIN },
      documents: dynamo.documentClient,
      lanesSwitch: {
        setEnabled: async (lane, enabled) => {
          await hooks.beforeSwitch?.(lane, enabled);
          await lambdaSwitch.setEnabled(lane, enabled);
        },
      },
      metrics,
      logger: { info: () => undefined },
    });
    const pumpItem = async (lane: Lane) =>
      (
        await dynamo.documentClient.send(
          new GetCommand({
            TableName: tableName,
            Key: { [TABLE_KEYS.partitionKey]: pumpKey(lane) },
          }),
        )
      ).Item;
    const operator = new DynamoDbPumpPauses(dynamo.documentClient, tableName);
    return { parts, gauges, paused, pumpItem, operator, hooks };
  }

  const disabledAll = [
    { UUID: 'esm-critical', Enabled: false },
    { UUID: 'esm-standard', Enabled: false },
    { UUID: 'esm-bulk', Enabled: false },
  ];

  it('GIVEN every user cooling down longer than the threshold WHEN the monitor ticks THEN it disables every lane with UpdateEventSourceMapping and records the pause', async () => {
    const { parts, paused, pumpItem } = await world({ alice: NOW + 20 * MIN, bob: NOW + 10 * MIN });
    await monitorTick(parts, NOW);
    expect({ updates: updates(), paused, bulk: await pumpItem('bulk') }).toEqual({
      updates: disabledAll,
      paused: { critical: true, standard: true, bulk: true },
      bulk: { [TABLE_KEYS.partitionKey]: 'pump#bulk', by: 'monitor', untilMs: NOW + 10 * MIN, pausedAt: NOW },
    });
  });

  it('GIVEN a paused pump WHEN the monitor ticks again before the earliest cool-down ends THEN it calls Lambda no more', async () => {
    const { parts } = await world({ alice: NOW + 20 * MIN, bob: NOW + 10 * MIN });
    await monitorTick(parts, NOW);
    lambdaMock.resetHistory();
    await monitorTick(parts, NOW + 9 * MIN);
    expect(updates()).toEqual([]);
  });

  it('GIVEN a paused pump WHEN the monitor ticks after the earliest cool-down ended THEN it enables every lane and forgets the pause', async () => {
    const { parts, paused, pumpItem } = await world({ alice: NOW + 20 * MIN, bob: NOW + 10 * MIN });
    await monitorTick(parts, NOW);
    lambdaMock.resetHistory();
    await monitorTick(parts, NOW + 10 * MIN);
    expect({ updates: updates(), paused, bulk: await pumpItem('bulk') }).toEqual({
      updates: disabledAll.map((u) => ({ ...u, Enabled: true })),
      paused: { critical: false, standard: false, bulk: false },
      bulk: undefined,
    });
  });

  it('GIVEN one user not cooling down WHEN the monitor ticks THEN it changes no mapping and publishes each user’s gauges', async () => {
    const { parts, gauges, paused } = await world({ alice: NOW + 20 * MIN, bob: undefined });
    await monitorTick(parts, NOW);
    expect({ updates: updates(), paused, alice: gauges.alice?.cooldownRemainingMs, bob: gauges.bob }).toEqual({
      updates: [],
      paused: { critical: false, standard: false, bulk: false },
      alice: 20 * MIN,
      bob: { cooldownRemainingMs: 0, budgetRemaining: 8000, inFlight: 0, circuitOpen: false },
    });
  });

  it('GIVEN every user cooling down but one for less than the threshold WHEN the monitor ticks THEN it changes no mapping', async () => {
    const { parts } = await world({ alice: NOW + 20 * MIN, bob: NOW + 4 * MIN });
    await monitorTick(parts, NOW);
    expect(updates()).toEqual([]);
  });

  it('GIVEN a lane an operator paused WHEN the monitor ticks after every cool-down ended THEN it changes no mapping and the operator’s pause stays', async () => {
    const { parts, pumpItem, operator } = await world({ alice: NOW + 20 * MIN, bob: NOW + 10 * MIN });
    await operator.hold('bulk', NOW - MIN);
    await monitorTick(parts, NOW + 30 * MIN);
    expect({ updates: updates(), bulk: await pumpItem('bulk') }).toEqual({
      updates: [],
      bulk: { [TABLE_KEYS.partitionKey]: 'pump#bulk', by: 'operator', pausedAt: NOW - MIN },
    });
  });

  it('GIVEN a monitor pause an operator took over WHEN the cool-down ends THEN the monitor does not resume the lane', async () => {
    const { parts, pumpItem, operator } = await world({ alice: NOW + 20 * MIN, bob: NOW + 10 * MIN });
    await monitorTick(parts, NOW);
    await operator.hold('bulk', NOW + MIN);
    lambdaMock.resetHistory();
    await monitorTick(parts, NOW + 10 * MIN);
    expect({ updates: updates(), bulk: (await pumpItem('bulk'))?.by }).toEqual({
      updates: [
        { UUID: 'esm-critical', Enabled: true },
        { UUID: 'esm-standard', Enabled: true },
      ],
      bulk: 'operator',
    });
  });

  it('GIVEN an operator pauses a lane while the monitor is resuming it WHEN the tick ends THEN the lane is disabled again and stays the operator’s', async () => {
    const { parts, paused, pumpItem, operator, hooks } = await world({ alice: NOW + 20 * MIN, bob: NOW + 10 * MIN });
    await monitorTick(parts, NOW);
    hooks.beforeSwitch = async (lane, enabled) => {
      if (lane === 'bulk' && enabled) await operator.hold('bulk', NOW + 10 * MIN);
    };
    lambdaMock.resetHistory();
    await monitorTick(parts, NOW + 10 * MIN);
    expect({
      bulk: updates().filter((u) => u.UUID === 'esm-bulk'),
      paused: paused.bulk,
      item: (await pumpItem('bulk'))?.by,
    }).toEqual({
      bulk: [
        { UUID: 'esm-bulk', Enabled: true },
        { UUID: 'esm-bulk', Enabled: false },
      ],
      paused: false,
      item: 'operator',
    });
  });
});
