import type { ApiError, ResultsProgress } from '../api/contract';
import { UserError } from '../api/errors';
import { Listeners } from '../app/job-registry';
import type { ProcessHandle } from '../app/process-handle';
import type { EvaluationChannel, EvaluationMethods, EvaluationRequest, EvaluationStep } from './evaluator';

/**
 * What main asks the results worker: one request, answered by an `evaluate-done` with the same id; long requests
 * report `evaluate-progress` on the way.
 */
export type EvaluationAsk = { type: 'evaluate'; id: number; dataDir: string; request: EvaluationRequest };
export type EvaluationAnswer =
  | { type: 'evaluate-done'; id: number; result: unknown; error: ApiError | null }
  | { type: 'evaluate-progress'; id: number; step: EvaluationStep };

type EvaluationWorker = ProcessHandle<EvaluationAsk, EvaluationAnswer>;

/** A worker left idle this long is stopped; the next request starts a fresh one (the models load again). */
const idleMs = 5 * 60_000;

interface Pending {
  worker: EvaluationWorker;
  channel: EvaluationChannel;
  resolve(value: unknown): void;
  reject(error: Error): void;
  /** The step it is on and when that began, for the time left; unset until it reports. */
  step?: { what: string; startedAt: number };
}

/**
 * Main's side of the results views: one long-lived worker process holds the models and answers requests in order, so
 * moving an epoch slider or decoding a code does not reload a checkpoint and never blocks the window. A crashed
 * worker fails only the requests it held; the next request starts a new one.
 */
export class EvaluationClient {
  private worker: EvaluationWorker | null = null;
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
    const worker = this.ensureWorker();
    const id = this.nextId++;
    clearTimeout(this.idleTimer);
    return new Promise<EvaluationMethods[C]['result']>((resolve, reject) => {
      this.pending.set(id, { worker, channel, resolve: resolve as (value: unknown) => void, reject });
      worker.send({ type: 'evaluate', id, dataDir: this.dataDir, request: { channel, args } as EvaluationRequest });
    });
  }

  private ensureWorker(): EvaluationWorker {
    if (this.worker) return this.worker;
    const worker = this.spawn();
    this.worker = worker;
    worker.onMessage((message) => {
      const waiting = this.pending.get(message.id);
      if (message.type === 'evaluate-progress') {
        if (waiting) this.report(waiting, message.step);
        return;
      }
      this.pending.delete(message.id);
      if (waiting) this.finish(waiting);
      if (message.error) waiting?.reject(toError(message.error));
      else waiting?.resolve(message.result);
      if (this.pending.size === 0) this.idleTimer = setTimeout(() => this.stopWorker(), idleMs).unref();
    });
    worker.onExit((code, signal) => {
      if (this.worker === worker) this.worker = null;
      const why = new UserError(
        'internal',
        `The results process ended unexpectedly (${signal ?? `exit code ${code}`}); try again.`,
      );
      for (const [id, waiting] of this.pending) {
        if (waiting.worker !== worker) continue;
        this.pending.delete(id);
        this.finish(waiting);
        waiting.reject(why);
      }
    });
    return worker;
  }

  onProgress(listener: (progress: ResultsProgress) => void): () => void {
    return this.listeners.add(listener);
  }

  /**
   * Stops the work in progress and everything queued behind it. The worker is stopped rather than asked: a tfjs
   * kernel cannot be interrupted, and the results process only reads the store, so nothing can be half-written. The
   * next request starts a fresh one.
   */
  cancel(): void {
    const cancelled = new UserError('cancelled', 'Cancelled; nothing was changed.');
    const requests = [...this.pending.values()];
    this.pending.clear();
    this.stopWorker();
    for (const waiting of requests) {
      this.finish(waiting);
      waiting.reject(cancelled);
    }
  }

  private report(waiting: Pending, step: EvaluationStep): void {
    const now = performance.now();
    if (waiting.step?.what !== step.what) waiting.step = { what: step.what, startedAt: now };
    const elapsed = now - waiting.step.startedAt;
    const etaMs = step.done > 0 && step.done < step.total ? (elapsed * (step.total - step.done)) / step.done : null;
    this.listeners.emit({ channel: waiting.channel, ...step, etaMs, finished: false });
  }

  /** Tells whoever showed this request's progress that it is over. */
  private finish(waiting: Pending): void {
    if (!waiting.step) return;
    this.listeners.emit({
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
    this.worker?.kill();
    this.worker = null;
  }

  close(): void {
    const closing = new UserError('cancelled', 'The app is closing.');
    for (const waiting of this.pending.values()) waiting.reject(closing);
    this.pending.clear();
    this.stopWorker();
  }
}

function toError(error: ApiError): UserError {
  return new UserError(error.code, error.message);
}
