import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { readDispatcherEnvironment } from '../../lambdas/shared/config';
import { type LocalEnvironment, type LocalEnvironmentOptions, startLocalEnvironment } from '../../local/environment';
import { descendantsOf, isRunning, type ProcessInfo } from './helpers';

/**
 * The local environment: what it points the dispatcher at, what it refuses, and that it leaves no process
 * behind. The emulator harnesses do not expose their process ids, so the tests find them in /proc as the
 * processes this one started.
 */

const newProcesses = (before: readonly ProcessInfo[]) =>
  descendantsOf(process.pid).filter((found) => !before.some((known) => known.pid === found.pid));

describe('a local environment started without outreachUrl', () => {
  let env: LocalEnvironment;

  beforeAll(async () => {
    env = await startLocalEnvironment({ outreachUsers: ['alice', 'bob'], stopOnSignals: false });
  }, 60_000);

  afterAll(async () => {
    await env?.stop();
  }, 30_000);

  it('GIVEN the simulator WHEN the runtime configuration is read THEN it points at the simulator', () => {
    expect({ ...env.settings.gate.outreach, origin: env.endpoints.outreach }).toMatchObject({
      baseUrl: env.simulator?.apiBaseUrl,
      tokenUrl: env.simulator?.tokenUrl,
      origin: env.simulator?.url,
    });
  });

  it("GIVEN the settings' users WHEN the simulator starts THEN it knows exactly those users", () => {
    expect(env.simulator?.stats().config.users).toEqual(['alice', 'bob']);
  });

  it('GIVEN the environment variables WHEN the dispatcher reads them THEN it gets the dispatcher environment', () => {
    expect(readDispatcherEnvironment(env.environmentVariables)).toEqual(env.dispatcherEnvironment);
  });

  it("GIVEN the environment variables THEN the SDK's endpoint variables name the emulators", () => {
    expect(env.environmentVariables).toMatchObject({
      AWS_ENDPOINT_URL_DYNAMODB: env.endpoints.dynamodb,
      AWS_ENDPOINT_URL_SQS: env.endpoints.sqs,
    });
  });
});

describe('a local environment started with outreachUrl', () => {
  let env: LocalEnvironment;

  beforeAll(async () => {
    env = await startLocalEnvironment({ outreachUrl: 'http://127.0.0.1:65000/', stopOnSignals: false });
  }, 60_000);

  afterAll(async () => {
    await env?.stop();
  }, 30_000);

  it('GIVEN an Outreach origin WHEN started THEN no simulator runs and the configuration points at that origin', () => {
    expect({ simulator: env.simulator, outreach: env.settings.gate.outreach }).toMatchObject({
      simulator: undefined,
      outreach: { baseUrl: 'http://127.0.0.1:65000/api/v2', tokenUrl: 'http://127.0.0.1:65000/oauth/token' },
    });
  });
});

describe('startLocalEnvironment', () => {
  it('GIVEN a started environment WHEN it is stopped THEN the Java and emulator processes it started are gone', async () => {
    const before = descendantsOf(process.pid);
    const env = await startLocalEnvironment({ stopOnSignals: false });
    const started = newProcesses(before);

    await env.stop();

    expect({
      java: started.some((p) => p.commandLine.includes('DynamoDBLocal.jar')),
      sqs: started.some((p) => p.commandLine.includes('sqs-server.mjs')),
      stillRunning: started.filter((p) => isRunning(p.pid)),
    }).toEqual({ java: true, sqs: true, stillRunning: [] });
  }, 60_000);

  it('GIVEN java is not on PATH WHEN started THEN it fails with the DynamoDB Local message and leaves nothing running', async () => {
    const before = descendantsOf(process.pid);
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    let failure: unknown;
    try {
      await startLocalEnvironment({ stopOnSignals: false });
    } catch (error) {
      failure = error;
    } finally {
      process.env.PATH = path;
    }

    expect({
      message: (failure as Error | undefined)?.message,
      stillRunning: newProcesses(before).filter((p) => isRunning(p.pid)),
    }).toEqual({ message: expect.stringContaining('DynamoDB Local needs Java'), stillRunning: [] });
  }, 60_000);

  it.each<[string, LocalEnvironmentOptions, RegExp]>([
    ['outreachBaseUrl', { outreachBaseUrl: 'http://127.0.0.1:1/api/v2' }, /give outreachUrl/],
    ['outreachTokenUrl', { outreachTokenUrl: 'http://127.0.0.1:1/oauth/token' }, /give outreachUrl/],
    [
      'an outreachUrl that is not http(s)',
      { outreachUrl: 'ftp://example.com' },
      /outreachUrl must be an http\(s\) URL/,
    ],
    ['an outreachUrl that is not a URL', { outreachUrl: 'outreach' }, /outreachUrl must be an http\(s\) URL/],
    ['a batch size SQS refuses', { lanes: { standard: { batchSize: 11 } } }, /lanes\.standard\.batchSize/],
    ['a table name DynamoDB refuses', { tableName: 'x' }, /tableName must be/],
  ])('GIVEN %s WHEN started THEN it fails naming the option before starting anything', async (_, options, message) => {
    const before = descendantsOf(process.pid);

    await expect(startLocalEnvironment({ ...options, stopOnSignals: false })).rejects.toThrow(message);
    expect(newProcesses(before)).toEqual([]);
  });

  it.each<[NodeJS.Signals, number]>([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ])(
    'GIVEN a process running an environment WHEN it gets %s THEN it stops everything and exits with %i',
    async (signal, code) => {
      const child = spawn(
        process.execPath,
        ['-r', 'ts-node/register/transpile-only', join(__dirname, 'fixtures', 'start-environment.ts')],
        {
          cwd: join(__dirname, '..', '..'),
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      const exited = new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      try {
        await new Promise<void>((resolve, reject) => {
          let stdout = '';
          child.stdout.on('data', (chunk: Buffer) => {
            stdout += chunk.toString();
            if (stdout.includes('"ready":true')) resolve();
          });
          void exited.then(() => reject(new Error(`the environment process exited before it was ready:\n${stderr}`)));
        });
        const started = descendantsOf(child.pid as number);

        child.kill(signal);
        const exitCode = await exited;

        expect({
          exitCode,
          java: started.some((p) => p.commandLine.includes('DynamoDBLocal.jar')),
          stillRunning: started.filter((p) => isRunning(p.pid)),
        }).toEqual({ exitCode: code, java: true, stillRunning: [] });
      } finally {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
    },
    90_000,
  );
});
