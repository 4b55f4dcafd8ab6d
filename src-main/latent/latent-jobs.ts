import type { Database } from '../store/database';
import { describeImagesOf, type ApiError, type LatentJobArgs, type LatentProgress } from '../api/contract';
import { UserError } from '../api/errors';
import * as runs from '../store/runs';
import type { ProcessHandle } from '../app/process-handle';
import type { LatentJobResult, LatentStep } from './latent-job';
import { chooseCheckpoint } from '../evaluation/run-model';
import { JobRegistry, progressThrottle } from '../app/job-registry';
import { startWorkerJob, type WorkerJob } from '../app/worker-job';

/** What main tells a latent worker: encode (and lay out) a run's codes, or stop. */
export type LatentRequest = { type: 'latent'; dataDir: string; args: LatentJobArgs } | { type: 'stop' };

/** What a latent worker reports: each step's progress, then the stored codes and map, or the error. */
export type LatentReport =
  | { type: 'latent-progress'; step: LatentStep }
  | { type: 'latent-done'; result: LatentJobResult | null; error: ApiError | null };

type LatentWorker = ProcessHandle<LatentRequest, LatentReport>;
type LatentJob = WorkerJob<LatentRequest, LatentReport>;

const progressIntervalMs = 150;
/** How long a cancelled job may take to notice before its process is killed. */
const cancelGraceMs = 5_000;

function describe(args: LatentJobArgs): string {
  const names = { tsne: 't-SNE map', umap: 'UMAP map', pca: 'PCA map' };
  const what = args.projection ? names[args.projection.method] : 'Latent codes';
  return `${what} of run ${args.runId} (${describeImagesOf(args.split, args.sample)})`;
}

/**
 * Encoding a split and laying it out in 2-D run in a worker process each (the engine and t-SNE's threads stay off the
 * main process). Progress with time remaining is relayed as `latent:progress`; cancelling asks the worker to stop and
 * kills it if it does not. A worker writes files first and rows last, so a cancelled or killed job leaves nothing
 * half-stored.
 */
export class LatentJobs {
  private readonly jobs = new JobRegistry<LatentProgress, LatentJob>('latent-space job');

  constructor(
    private readonly db: Database,
    private readonly dataDir: string,
    private readonly spawn: () => LatentWorker,
  ) {}

  start(args: LatentJobArgs): number {
    // Problems the user can fix are reported now, not after a worker has started.
    if (!runs.getRun(this.db, args.runId)) throw new UserError('not_found', `There is no run with id ${args.runId}.`);
    chooseCheckpoint(this.db, args.runId, args.epoch);

    const worker = startWorkerJob(this.spawn, { stopMessage: { type: 'stop' }, graceMs: cancelGraceMs });
    const jobId = this.jobs.open(worker);
    const started = performance.now();
    const base = {
      jobId,
      runId: args.runId,
      label: describe(args),
      embeddingId: null,
      projectionId: null,
      error: null,
    };
    const throttle = progressThrottle(progressIntervalMs);
    const finish = (progress: LatentProgress) => this.jobs.finish(progress);
    const end = { phase: 'finished' as const, done: 0, total: 0, etaMs: null };
    worker.onMessage((message) => {
      if (message.type === 'latent-progress') {
        const { step } = message;
        const due = throttle(step.phase, step.done, step.total);
        if (!due) return;
        this.jobs.emit({
          ...base,
          ...step,
          status: 'running',
          elapsedMs: performance.now() - started,
          etaMs: due.etaMs,
        });
      } else if (message.type === 'latent-done') {
        const elapsedMs = performance.now() - started;
        if (message.result) {
          finish({ ...base, ...end, ...message.result, status: 'completed', elapsedMs });
        } else {
          const cancelled = message.error?.code === 'cancelled';
          finish({
            ...base,
            ...end,
            status: cancelled ? 'cancelled' : 'failed',
            error: message.error?.message ?? null,
            elapsedMs,
          });
        }
      }
    });
    // After a 'latent-done' this changes nothing; without one, a cancelled job was stopped, anything else crashed.
    worker.onExit(({ code, signal, stopAsked }) => {
      finish({
        ...base,
        ...end,
        status: stopAsked ? 'cancelled' : 'failed',
        error: stopAsked
          ? 'Cancelled; nothing was saved.'
          : `The worker process ended unexpectedly (${signal ?? `exit code ${code}`}).`,
        elapsedMs: performance.now() - started,
      });
    });
    worker.send({ type: 'latent', dataDir: this.dataDir, args });
    setImmediate(() =>
      this.jobs.emit({ ...base, status: 'running', phase: 'starting', done: 0, total: 0, elapsedMs: 0, etaMs: null }),
    );
    return jobId;
  }

  cancel(jobId: number): void {
    this.jobs.requireRunning(jobId).stop();
  }

  onProgress(listener: (progress: LatentProgress) => void): () => void {
    return this.jobs.onProgress(listener);
  }

  /** Resolves with the job's last progress once it has completed, failed or been cancelled. */
  waitFor(jobId: number): Promise<LatentProgress> {
    return this.jobs.waitFor(jobId);
  }

  async close(): Promise<void> {
    const ids = this.jobs.runningIds();
    ids.forEach((id) => this.cancel(id));
    await Promise.all(ids.map((id) => this.jobs.waitFor(id)));
  }
}
