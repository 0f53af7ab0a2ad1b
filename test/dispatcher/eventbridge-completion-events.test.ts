import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import {
  CompletionEventError,
  EventBridgeCompletionEvents,
} from '../../lambdas/adapters/eventbridge-completion-events';
import type { CompletionEvent } from '../../lambdas/dispatcher/ports';

const event: CompletionEvent = {
  detailType: 'Intent Dead-lettered',
  detail: { id: 'i-1', user: 'u1', lane: 'critical', outcome: { status: 'dead-lettered', reason: 'expired' } },
};

describe('EventBridgeCompletionEvents', () => {
  const eventBridge = mockClient(EventBridgeClient);
  afterEach(() => eventBridge.reset());

  it('GIVEN an event WHEN it is published THEN one PutEvents entry goes to the bus with the source, detail-type and detail', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    await new EventBridgeCompletionEvents(
      new EventBridgeClient({}),
      'arn:aws:events:eu-west-1:1:event-bus/default',
    ).publish(event);
    expect(eventBridge.commandCalls(PutEventsCommand).map((call) => call.args[0].input)).toEqual([
      {
        Entries: [
          {
            EventBusName: 'arn:aws:events:eu-west-1:1:event-bus/default',
            Source: 'outreach-gate',
            DetailType: 'Intent Dead-lettered',
            Detail: JSON.stringify(event.detail),
          },
        ],
      },
    ]);
  });

  it('GIVEN EventBridge refuses the entry (a 200 with a failed entry) THEN publish fails naming the error code', async () => {
    eventBridge.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }],
    });
    const publish = new EventBridgeCompletionEvents(new EventBridgeClient({}), 'default').publish(event);
    await expect(publish).rejects.toThrow(
      new CompletionEventError(
        'EventBridge refused the Intent Dead-lettered event of intent i-1: InternalFailure try again',
      ),
    );
  });
});
