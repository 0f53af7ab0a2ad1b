import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { stopChild } from '../../local/process-tree';

/** A Node child process that says `ready` once running; with `ignoreSigterm`, SIGTERM does not stop it. */
async function startChild(ignoreSigterm: boolean): Promise<ChildProcess> {
  const script = `${ignoreSigterm ? "process.on('SIGTERM', () => {});" : ''} setInterval(() => {}, 1000); console.log('ready');`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  await once(child.stdout, 'data');
  return child;
}

describe('stopping a child process', () => {
  it('GIVEN a child that exits on SIGTERM WHEN stopped THEN it ended on SIGTERM and its pipes are closed', async () => {
    const child = await startChild(false);
    await stopChild(child);
    expect({ signal: child.signalCode, stdoutClosed: child.stdout?.destroyed }).toEqual({
      signal: 'SIGTERM',
      stdoutClosed: true,
    });
  });

  it('GIVEN a child that ignores SIGTERM WHEN stopped with a short grace period THEN it is ended with SIGKILL', async () => {
    const child = await startChild(true);
    await stopChild(child, { graceMs: 200 });
    expect(child.signalCode).toBe('SIGKILL');
  });

  it('GIVEN a way to deliver signals WHEN a child is stopped THEN every signal goes that way', async () => {
    const child = await startChild(true);
    const sent: NodeJS.Signals[] = [];
    await stopChild(child, {
      graceMs: 200,
      signal: (target, name) => {
        sent.push(name);
        target.kill(name);
      },
    });
    expect(sent).toEqual(['SIGTERM', 'SIGKILL']);
  });

  it('GIVEN a child that has already exited WHEN stopped THEN no signal is sent', async () => {
    const child = await startChild(false);
    child.kill('SIGTERM');
    await once(child, 'exit');
    const sent: NodeJS.Signals[] = [];
    await stopChild(child, { signal: (_target, name) => sent.push(name) });
    expect(sent).toEqual([]);
  });
});
