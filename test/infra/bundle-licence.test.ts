import { build } from 'esbuild';
import { DISPATCHER_ENTRY } from '../../lib/constructs/dispatcher';

describe("the dispatcher's bundle", () => {
  it('GIVEN the dispatcher handler WHEN bundled as the stack bundles it THEN no test-only package (the AGPL IAM evaluator) is in it', async () => {
    const result = await build({
      entryPoints: [DISPATCHER_ENTRY],
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect({
      bundledSomething: inputs.some((path) => path.includes('lambdas/dispatcher/handler.ts')),
      testOnly: inputs.filter((path) => /@cloud-copilot|aws-sdk-client-mock|fast-check|local\//.test(path)),
    }).toEqual({ bundledSomething: true, testOnly: [] });
  });
});
