import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ProcessHandle } from '../../../src-main/app/process-handle';
import { WorkerJob } from '../../../src-main/app/worker-job';
import { useTempDirs } from '../../helpers/temp-dir';

type Ask = { type: 'stop' };
type Report = { type: 'stopping' };

/** A real child process that, asked to stop, says so and then takes `finishMs` to save its work before exiting. */
function slowStopper(dir: string, finishMs: number, acknowledges: boolean): ProcessHandle<Ask, Report> {
  const script = join(dir, 'worker.cjs');
  writeFileSync(
    script,
    `process.on('message', () => {
       ${acknowledges ? "process.send({ type: 'stopping' });" : ''}
       setTimeout(() => process.exit(0), ${finishMs});
     });
     setInterval(() => {}, 1000);`,
  );
  const child = fork(script, [], { stdio: 'ignore' });
  return {
    pid: child.pid,
    send: (message) => child.send(message),
    onMessage: (listener) => child.on('message', (message) => listener(message as Report)),
    onExit: (listener) => child.on('exit', (code, signal) => listener(code, signal)),
    kill: () => child.kill('SIGKILL'),
  };
}

/** The worker life every service shares, with real processes: stop, grace period, kill, and a worker that is saving. */
describe('a worker job', () => {
  const tempDir = useTempDirs();

  it('kills a worker that does not finish within the grace period after a stop', async () => {
    const job = new WorkerJob(slowStopper(tempDir(), 5_000, false), { stopMessage: { type: 'stop' }, graceMs: 300 });
    job.stop();
    expect(job.stopping).toBe(true);
    expect(await job.exited).toMatchObject({ stopAsked: true, killed: true, signal: 'SIGKILL' });
    expect(job.running).toBe(false);
  });

  it('lets a worker that says it heard the stop take longer to finish, and settles once', async () => {
    const job = new WorkerJob(slowStopper(tempDir(), 1_000, true), {
      stopMessage: { type: 'stop' },
      graceMs: 300,
      finishingMs: 10_000,
    });
    job.onMessage((message) => message.type === 'stopping' && job.stopAcknowledged());
    const endings: unknown[] = [];
    job.onExit((exit) => endings.push(exit));
    job.stop();
    job.stop();
    expect(await job.exited).toEqual({ code: 0, signal: null, stopAsked: true, killed: false });
    await new Promise((resolve) => setImmediate(resolve));
    expect(endings).toHaveLength(1);
  });
});
