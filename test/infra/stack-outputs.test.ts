import { describeStack } from '../../cli/stack-outputs';
import { LANES } from '../../lambdas/shared/names';
import { STACK_OUTPUT, STACK_OUTPUT_NAMES } from '../../lib/stack-outputs';
import { synthGate } from './synth';

describe('the outputs outreach-gate --stack reads', () => {
  const { stack, template } = synthGate({ outreachUsers: ['alice', 'bob'] });
  const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
  const value = (name: string) => stack.resolve(outputs[name]?.Value);

  it('THEN the stack has every output the CLI requires, by the shared names', () => {
    expect(STACK_OUTPUT_NAMES.filter((name) => outputs[name] === undefined)).toEqual([]);
  });

  it('THEN each lane’s outputs are its queue’s URL and ARN and its dead-letter queue’s URL', () => {
    for (const lane of LANES) {
      expect({
        url: value(STACK_OUTPUT.laneUrl(lane)),
        arn: value(STACK_OUTPUT.laneArn(lane)),
        dlq: value(STACK_OUTPUT.deadLetterQueueUrl(lane)),
      }).toEqual({
        url: stack.resolve(stack.lanes.queues[lane].queueUrl),
        arn: stack.resolve(stack.lanes.queues[lane].queueArn),
        dlq: stack.resolve(stack.lanes.deadLetterQueues[lane].queueUrl),
      });
    }
  });

  it('THEN the function name output names the dispatcher', () => {
    expect(value(STACK_OUTPUT.dispatcherFunctionName)).toEqual({
      Ref: stack.getLogicalId(stack.dispatcher.function.node.defaultChild as never),
    });
  });

  it('THEN the configuration output is the dispatcher’s configuration and the CLI reads it back', () => {
    const strings = Object.fromEntries(STACK_OUTPUT_NAMES.map((name) => [name, `value of ${name}`]));
    const read = describeStack('Gate', { ...strings, [STACK_OUTPUT.gateConfig]: value(STACK_OUTPUT.gateConfig) });
    expect(read.config).toEqual(stack.settings.gate);
  });
});
