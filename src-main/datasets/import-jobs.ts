import type { Database } from '../store/database';
import type { ImportProgress, ImportReport } from '../api/contract';
import { UserError } from '../api/errors';
import { explainStorageError } from '../app/storage-errors';
import type { ImportContext } from './import-context';
import { JobRegistry, progressThrottle } from '../app/job-registry';

type Importer = (ctx: ImportContext) => Promise<{ datasetId: number; report: ImportReport }>;

const progressIntervalMs = 100;

/**
 * Runs imports in the background of the main process (file reads and libvips decoding are asynchronous, so the
 * window stays responsive), reports throttled progress with time remaining, and cancels on request.
 */
export class ImportJobs {
  private readonly jobs = new JobRegistry<ImportProgress, AbortController>('import');

  constructor(
    private readonly db: Database,
    private readonly dataDir: string,
  ) {}

  start(label: string, importer: Importer): number {
    const controller = new AbortController();
    const jobId = this.jobs.open(controller);
    const started = performance.now();
    const throttle = progressThrottle(progressIntervalMs);
    const base = { jobId, label, datasetId: null, error: null };

    const ctx: ImportContext = {
      db: this.db,
      dataDir: this.dataDir,
      signal: controller.signal,
      onProgress: (update) => {
        const due = throttle(update.phase, update.done, update.total);
        if (!due) return;
        this.jobs.emit({
          ...base,
          ...update,
          status: 'running',
          elapsedMs: performance.now() - started,
          etaMs: due.etaMs,
        });
      },
    };

    const end = { phase: 'finished' as const, elapsedMs: 0, etaMs: null, done: 0, total: 0, skipped: 0 };
    // Start on the next turn, so the caller has the job id before the first progress event.
    setImmediate(() => {
      importer(ctx).then(
        ({ datasetId, report }) =>
          this.jobs.finish({
            ...base,
            ...end,
            status: 'completed',
            datasetId,
            done: report.imported,
            total: report.found,
            skipped: report.skipped.length,
            elapsedMs: performance.now() - started,
          }),
        (raw: unknown) => {
          const err = explainStorageError(raw, this.dataDir, 'The import could not be saved');
          const cancelled = err instanceof UserError && err.code === 'cancelled';
          if (!(err instanceof UserError)) console.error('[import] failed:', err);
          this.jobs.finish({
            ...base,
            ...end,
            status: cancelled ? 'cancelled' : 'failed',
            error: (err as Error).message,
            elapsedMs: performance.now() - started,
          });
        },
      );
    });
    return jobId;
  }

  cancel(jobId: number): void {
    this.jobs.requireRunning(jobId).abort();
  }

  onProgress(listener: (progress: ImportProgress) => void): () => void {
    return this.jobs.onProgress(listener);
  }

  /** Resolves with the job's last progress once it has completed, failed or been cancelled. */
  waitFor(jobId: number): Promise<ImportProgress> {
    return this.jobs.waitFor(jobId);
  }

  /** Cancels every running import and waits until each has cleaned up. */
  async close(): Promise<void> {
    const ids = this.jobs.runningIds();
    ids.forEach((id) => this.jobs.handle(id)?.abort());
    await Promise.all(ids.map((id) => this.jobs.waitFor(id)));
  }
}
