import type { ApiError, ResultsProgress } from '../api/contract';
import { UserError } from '../api/errors';
import { Listeners } from '../app/job-registry';
import type { ProcessHandle } from '../app/process-handle';
import { startWorkerJob, type WorkerJob } from '../app/worker-job';
import type { EvaluationChannel, EvaluationMethods, EvaluationRequest, EvaluationStep } from './evaluator';

/**
 * What main asks the results worker: one request, answered by an `evaluate-done` with the same id (long requests
 * report `evaluate-progress` on the way), or to cancel one request, which then answers `cancelled`.
 */
export type EvaluationAsk =
  | { type: 'evaluate'; id: number; dataDir: string; request: EvaluationRequest }
  | { type: 'evaluate-cancel'; id: number };
export type EvaluationAnswer =
  | { type: 'evaluate-done'; id: number; result: unknown; error: ApiError | null }
  | { type: 'evaluate-progress'; id: number; step: EvaluationStep };

type EvaluationWorker = ProcessHandle<EvaluationAsk, EvaluationAnswer>;
type EvaluationJob = WorkerJob<EvaluationAsk, EvaluationAnswer>;

/** A worker left idle this long is stopped; the next request starts a fresh one (the models load again). */
const idleMs = 5 * 60_000;
/**
 * How long a cancelled request may take to notice (it checks between chunks and passes) before the worker is
 * stopped: a single tfjs kernel cannot be interrupted. The results process only reads the store, so stopping it loses
 * nothing but its caches.
 */
const cancelGraceMs = 10_000;

interface Pending {
  job: EvaluationJob;
  channel: EvaluationChannel;
  resolve(value: unknown): void;
  reject(error: Error): void;
  /** The step it is on and when that began, for the time left; unset until it reports. */
  step?: { what: string; startedAt: number };
  cancelTimer?: NodeJS.Timeout;
}

/**
 * Main's side of the results views: one long-lived worker process holds the models and answers requests in order, so
 * moving an epoch slider or decoding a code does not reload a checkpoint and never blocks the window. Each request can
 * be cancelled on its own (its progress names it); a crashed worker fails only the requests it held, and the next
 * request starts a new one.
 */
export class EvaluationClient {
  private job: EvaluationJob | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly listeners = new Listeners<ResultsProgress>();

  constructor(
    private readonly dataDir: string,
    private readonly spawn: () => EvaluationWorker,
  ) {}

  request<C extends EvaluationChannel>(
    channel: C,
    args: EvaluationMethods[C]['args'],
  ): Promise<EvaluationMethods[C]['result']> {
    const job = this.ensureWorker();
    const id = this.nextId++;
    clearTimeout(this.idleTimer);
    return new Promise<EvaluationMethods[C]['result']>((resolve, reject) => {
      this.pending.set(id, { job, channel, resolve: resolve as (value: unknown) => void, reject });
      job.send({ type: 'evaluate', id, dataDir: this.dataDir, request: { channel, args } as EvaluationRequest });
    });
  }

  /**
   * Cancels one request (queued or in progress): it fails with code 'cancelled'; the others, and the worker with its
   * loaded models, carry on. A request that has already ended is left as it is.
   */
  cancel(requestId: number): void {
    const waiting = this.pending.get(requestId);
    if (!waiting || waiting.cancelTimer) return;
    waiting.job.send({ type: 'evaluate-cancel', id: requestId });
    waiting.cancelTimer = setTimeout(() => waiting.job.stop(), cancelGraceMs);
  }

  onProgress(listener: (progress: ResultsProgress) => void): () => void {
    return this.listeners.add(listener);
  }

  close(): void {
    const closing = new UserError('cancelled', 'The app is closing.');
    for (const [id, waiting] of this.pending) this.settle(id, waiting, closing);
    this.stopWorker();
  }

  private ensureWorker(): EvaluationJob {
    if (this.job?.running) return this.job;
    // Nothing to ask it: the results process only reads, so it is stopped by killing it.
    const job = startWorkerJob(this.spawn, { graceMs: 0 });
    this.job = job;
    job.onMessage((message) => {
      const waiting = this.pending.get(message.id);
      if (!waiting) return;
      if (message.type === 'evaluate-progress') this.report(message.id, waiting, message.step);
      else this.settle(message.id, waiting, message.error ? toError(message.error) : null, message.result);
      if (this.pending.size === 0) this.idleTimer = setTimeout(() => this.stopWorker(), idleMs).unref();
    });
    job.onExit(({ code, signal, stopAsked }) => {
      if (this.job === job) this.job = null;
      for (const [id, waiting] of this.pending) {
        if (waiting.job !== job) continue;
        // Stopped because a cancelled request did not notice in time: that one is cancelled, the others retried.
        const why = waiting.cancelTimer
          ? new UserError('cancelled', 'Cancelled; nothing was changed.')
          : new UserError(
              'internal',
              stopAsked
                ? 'The results process was stopped to cancel another request; try again.'
                : `The results process ended unexpectedly (${signal ?? `exit code ${code}`}); try again.`,
            );
        this.settle(id, waiting, why);
      }
    });
    return job;
  }

  private settle(id: number, waiting: Pending, error: Error | null, result?: unknown): void {
    this.pending.delete(id);
    clearTimeout(waiting.cancelTimer);
    this.finish(id, waiting);
    if (error) waiting.reject(error);
    else waiting.resolve(result);
  }

  private report(requestId: number, waiting: Pending, step: EvaluationStep): void {
    const now = performance.now();
    if (waiting.step?.what !== step.what) waiting.step = { what: step.what, startedAt: now };
    const elapsed = now - waiting.step.startedAt;
    const etaMs = step.done > 0 && step.done < step.total ? (elapsed * (step.total - step.done)) / step.done : null;
    this.listeners.emit({ requestId, channel: waiting.channel, ...step, etaMs, finished: false });
  }

  /** Tells whoever showed this request's progress that it is over. */
  private finish(requestId: number, waiting: Pending): void {
    if (!waiting.step) return;
    this.listeners.emit({
      requestId,
      channel: waiting.channel,
      what: waiting.step.what,
      done: 0,
      total: 0,
      etaMs: null,
      finished: true,
    });
  }

  private stopWorker(): void {
    clearTimeout(this.idleTimer);
    this.job?.stop();
    this.job = null;
  }
}

function toError(error: ApiError): UserError {
  return new UserError(error.code, error.message);
}
