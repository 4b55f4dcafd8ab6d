import type { Database } from '../store/database';
import type { ImportProgress, ImportReport } from '../api/contract';
import { UserError } from '../api/errors';
import type { ImportContext } from './import-context';

type Importer = (ctx: ImportContext) => Promise<{ datasetId: number; report: ImportReport }>;

const progressIntervalMs = 100;

/**
 * Runs imports in the background of the main process (file reads and libvips decoding are asynchronous, so the
 * window stays responsive), reports throttled progress with time remaining, and cancels on request.
 */
export class ImportJobs {
  private nextId = 1;
  private readonly running = new Map<number, AbortController>();
  private readonly finished = new Map<number, ImportProgress>();
  private readonly listeners = new Set<(progress: ImportProgress) => void>();
  private readonly waiters = new Map<number, Array<(progress: ImportProgress) => void>>();

  constructor(
    private readonly db: Database,
    private readonly dataDir: string,
  ) {}

  start(label: string, importer: Importer): number {
    const jobId = this.nextId++;
    const controller = new AbortController();
    this.running.set(jobId, controller);
    const started = performance.now();
    let lastSent = 0;
    let lastPhase = '';
    const base = { jobId, label, datasetId: null, error: null };
    const emit = (progress: ImportProgress) => this.listeners.forEach((listener) => listener(progress));

    const ctx: ImportContext = {
      db: this.db,
      dataDir: this.dataDir,
      signal: controller.signal,
      onProgress: (update) => {
        const now = performance.now();
        if (update.phase === lastPhase && now - lastSent < progressIntervalMs && update.done < update.total) return;
        lastSent = now;
        lastPhase = update.phase;
        const elapsedMs = now - started;
        const rate = update.done > 0 ? update.done / elapsedMs : 0;
        emit({
          ...base,
          ...update,
          status: 'running',
          elapsedMs,
          etaMs: rate > 0 ? (update.total - update.done) / rate : null,
        });
      },
    };

    const finish = (progress: ImportProgress) => {
      this.running.delete(jobId);
      this.finished.set(jobId, progress);
      emit(progress);
      for (const resolve of this.waiters.get(jobId) ?? []) resolve(progress);
      this.waiters.delete(jobId);
    };
    const end = { phase: 'finished' as const, elapsedMs: 0, etaMs: null, done: 0, total: 0, skipped: 0 };
    // Start on the next turn, so the caller has the job id before the first progress event.
    setImmediate(() => {
      importer(ctx).then(
        ({ datasetId, report }) =>
          finish({
            ...base,
            ...end,
            status: 'completed',
            datasetId,
            done: report.imported,
            total: report.found,
            skipped: report.skipped.length,
            elapsedMs: performance.now() - started,
          }),
        (err: unknown) => {
          const cancelled = err instanceof UserError && err.code === 'cancelled';
          if (!(err instanceof UserError)) console.error('[import] failed:', err);
          finish({
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
    const controller = this.running.get(jobId);
    if (!controller) {
      if (this.finished.has(jobId)) throw new UserError('conflict', `Import ${jobId} has already finished.`);
      throw new UserError('not_found', `There is no import with id ${jobId}.`);
    }
    controller.abort();
  }

  onProgress(listener: (progress: ImportProgress) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves with the job's last progress once it has completed, failed or been cancelled. */
  waitFor(jobId: number): Promise<ImportProgress> {
    const done = this.finished.get(jobId);
    if (done) return Promise.resolve(done);
    if (!this.running.has(jobId))
      return Promise.reject(new UserError('not_found', `There is no import with id ${jobId}.`));
    return new Promise((resolve) => this.waiters.set(jobId, [...(this.waiters.get(jobId) ?? []), resolve]));
  }

  /** Cancels every running import and waits until each has cleaned up. */
  async close(): Promise<void> {
    const ids = [...this.running.keys()];
    ids.forEach((id) => this.running.get(id)?.abort());
    await Promise.all(ids.map((id) => this.waitFor(id)));
  }
}
