/**
 * Attacks on "`outreach-gate/client` usable without aws-cdk-lib": the client entry point must load when the CDK is
 * absent, and installing the package for the client alone must not pull the CDK in.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

test('GIVEN aws-cdk-lib and constructs cannot be loaded WHEN the client entry point is imported THEN it loads and exposes OutreachGateClient', () => {
  jest.isolateModules(() => {
    jest.doMock('aws-cdk-lib', () => {
      throw new Error('aws-cdk-lib is not installed');
    });
    jest.doMock('constructs', () => {
      throw new Error('constructs is not installed');
    });
    const packageJson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    const entry = String(packageJson.exports['./client'].default)
      .replace(/^\.\/dist\//, '')
      .replace(/\.js$/, '');
    const client = require(join(ROOT, entry));
    expect(typeof client.OutreachGateClient).toBe('function');
  });
});

test('GIVEN a producer installs outreach-gate for the client only WHEN npm resolves peers THEN aws-cdk-lib and constructs are optional peers, not installed for it', () => {
  const packageJson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const meta = packageJson.peerDependenciesMeta ?? {};
  // npm 7 and later install every non-optional peer dependency automatically.
  expect({
    'aws-cdk-lib': meta['aws-cdk-lib']?.optional === true || !('aws-cdk-lib' in (packageJson.peerDependencies ?? {})),
    constructs: meta.constructs?.optional === true || !('constructs' in (packageJson.peerDependencies ?? {})),
  }).toEqual({ 'aws-cdk-lib': true, constructs: true });
});

test('GIVEN aws-cdk-lib cannot be loaded WHEN the construct entry point is imported THEN it fails (the absence is real)', () => {
  jest.isolateModules(() => {
    jest.doMock('aws-cdk-lib', () => {
      throw new Error('aws-cdk-lib is not installed');
    });
    expect(() => require(join(ROOT, 'lib', 'index'))).toThrow(/aws-cdk-lib is not installed/);
  });
});
