import type { ApiError } from '../api/contract';
import { UserError } from '../api/errors';
import type { ProcessHandle } from '../app/process-handle';
import type { EvaluationChannel, EvaluationMethods, EvaluationRequest } from './evaluator';

/** What main asks the results worker: one request, answered by an `evaluate-done` with the same id. */
export type EvaluationAsk = { type: 'evaluate'; id: number; dataDir: string; request: EvaluationRequest };
export type EvaluationAnswer = { type: 'evaluate-done'; id: number; result: unknown; error: ApiError | null };

type EvaluationWorker = ProcessHandle<EvaluationAsk, EvaluationAnswer>;

/** A worker left idle this long is stopped; the next request starts a fresh one (the models load again). */
const idleMs = 5 * 60_000;

interface Pending {
  worker: EvaluationWorker;
  resolve(value: unknown): void;
  reject(error: Error): void;
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
      this.pending.set(id, { worker, resolve: resolve as (value: unknown) => void, reject });
      worker.send({ type: 'evaluate', id, dataDir: this.dataDir, request: { channel, args } as EvaluationRequest });
    });
  }

  private ensureWorker(): EvaluationWorker {
    if (this.worker) return this.worker;
    const worker = this.spawn();
    this.worker = worker;
    worker.onMessage((message) => {
      if (message.type !== 'evaluate-done') return;
      const waiting = this.pending.get(message.id);
      this.pending.delete(message.id);
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
        waiting.reject(why);
      }
    });
    return worker;
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
