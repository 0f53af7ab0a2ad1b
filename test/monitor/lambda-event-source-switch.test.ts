import { LambdaClient, ResourceNotFoundException, UpdateEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { LambdaEventSourceSwitch, LaneSwitchError } from '../../lambdas/adapters/lambda-event-source-switch';

const client = new LambdaClient({ region: 'eu-west-1' });
const lambdaMock = mockClient(client);
const MAPPINGS = { critical: ['esm-critical'], standard: ['esm-standard'], bulk: ['esm-bulk-1', 'esm-bulk-2'] };

beforeEach(() => {
  lambdaMock.reset();
});

describe('LambdaEventSourceSwitch', () => {
  it('GIVEN a lane with two mappings WHEN it is paused THEN each of its mappings, and no other, is updated to Enabled=false', async () => {
    lambdaMock.on(UpdateEventSourceMappingCommand).resolves({});

    await new LambdaEventSourceSwitch(client, MAPPINGS).setEnabled('bulk', false);

    expect(lambdaMock.commandCalls(UpdateEventSourceMappingCommand).map((call) => call.args[0].input)).toEqual([
      { UUID: 'esm-bulk-1', Enabled: false },
      { UUID: 'esm-bulk-2', Enabled: false },
    ]);
  });

  it('GIVEN a paused lane WHEN it is resumed THEN its mapping is updated to Enabled=true', async () => {
    lambdaMock.on(UpdateEventSourceMappingCommand).resolves({});

    await new LambdaEventSourceSwitch(client, MAPPINGS).setEnabled('critical', true);

    expect(lambdaMock.commandCalls(UpdateEventSourceMappingCommand).map((call) => call.args[0].input)).toEqual([
      { UUID: 'esm-critical', Enabled: true },
    ]);
  });

  it('GIVEN Lambda refuses the update WHEN a lane is paused THEN the error names the mapping, the change and Lambda’s answer', async () => {
    lambdaMock.on(UpdateEventSourceMappingCommand).rejects(
      new ResourceNotFoundException({
        message: 'The resource you requested does not exist.',
        $metadata: { httpStatusCode: 404 },
      }),
    );

    const failure = new LambdaEventSourceSwitch(client, MAPPINGS).setEnabled('standard', false);

    await expect(failure).rejects.toThrow(LaneSwitchError);
    await expect(failure).rejects.toThrow(
      'UpdateEventSourceMapping esm-standard (Enabled=false) failed: ResourceNotFoundException (404): The resource you requested does not exist.',
    );
  });
});
