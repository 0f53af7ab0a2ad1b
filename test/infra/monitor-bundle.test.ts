import { build } from 'esbuild';
import { MONITOR_ENTRY } from '../../lib/constructs/monitor';

describe("the monitor's bundle", () => {
  it('GIVEN the monitor handler WHEN bundled as the stack bundles it (the AWS SDK v3 external, provided by the runtime) THEN it builds, requires the Lambda client from the runtime and bundles no AWS SDK or signing package', async () => {
    const result = await build({
      entryPoints: [MONITOR_ENTRY],
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      external: ['@aws-sdk/*'],
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    const output = result.outputFiles[0]?.text ?? '';
    expect({
      bundledHandler: inputs.some((path) => path.includes('lambdas/monitor/handler.ts')),
      requiresLambdaClient: output.includes('require("@aws-sdk/client-lambda")'),
      bundledSdkOrSigning: inputs.filter((path) => /@aws-sdk\/|@smithy\/signature-v4|aws-sdk-client-mock/.test(path)),
    }).toEqual({ bundledHandler: true, requiresLambdaClient: true, bundledSdkOrSigning: [] });
  });
});
