import { App } from 'aws-cdk-lib';
import { stackPropsFromContext } from '../../lib/context';

const read = (value: unknown) =>
  stackPropsFromContext(new App({ context: { 'outreach-gate:reservedConcurrency': value } }).node);

describe('the reservedConcurrency context key', () => {
  it('GIVEN -c outreach-gate:reservedConcurrency=false THEN the stack reserves no concurrency', () => {
    expect(read('false')).toEqual({ reservedConcurrency: false });
  });

  it('GIVEN a number on the command line THEN it becomes the reserved concurrency', () => {
    expect(read('10')).toEqual({ reservedConcurrency: 10 });
  });

  it('GIVEN neither a number nor false THEN synthesis stops naming the key and the value', () => {
    expect(() => read('off')).toThrow('context outreach-gate:reservedConcurrency must be a number or false, got "off"');
  });
});
