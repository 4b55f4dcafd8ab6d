import type { ProcessHandle } from './process-handle';

/** How a worker process ended, and whether it was asked to stop or killed on the way. */
export interface WorkerExit {
  code: number | null;
  signal: string | null;
  /** `stop()` was called: the end was asked for, not a crash. */
  stopAsked: boolean;
  /** It was killed (after its grace period, or at once). */
  killed: boolean;
}

export interface WorkerJobOptions<In> {
  /** The message that asks the worker to stop on its own; without one, stopping kills it at once. */
  stopMessage?: In;
  /** How long a stop request may take before the worker is killed. */
  graceMs: number;
  /**
   * How long a worker that has said it is stopping (`stopAcknowledged`) may take to finish: it is alive and saving
   * its work, which can take longer than the grace period on a slow machine. Defaults to the grace period.
   */
  finishingMs?: number;
}

/**
 * One worker process doing one service's work: training a run, laying out a map, answering the results views. The
 * same life for all of them: start it, send typed messages, hear its reports, ask it to stop and kill it if it has
 * not after a grace period, and settle once it has exited — whatever way it ended, `exited` says how, once.
 */
export class WorkerJob<In, Out> {
  readonly exited: Promise<WorkerExit>;
  private stopAsked = false;
  private killed = false;
  private ended = false;
  private killTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly worker: ProcessHandle<In, Out>,
    private readonly options: WorkerJobOptions<In>,
  ) {
    this.exited = new Promise((resolve) =>
      worker.onExit((code, signal) => {
        this.ended = true;
        clearTimeout(this.killTimer);
        resolve({ code, signal, stopAsked: this.stopAsked, killed: this.killed });
      }),
    );
  }

  /** The worker's process id (recorded with the work it owns, so a later start can tell whether it still runs). */
  get pid(): number | undefined {
    return this.worker.pid;
  }

  /** Whether a stop has been asked for (the worker may still be finishing its step). */
  get stopping(): boolean {
    return this.stopAsked;
  }

  get running(): boolean {
    return !this.ended;
  }

  send(message: In): void {
    if (!this.ended) this.worker.send(message);
  }

  onMessage(listener: (message: Out) => void): void {
    this.worker.onMessage(listener);
  }

  /** Called once the worker has exited (after `exited` settles, so after any message it sent before). */
  onExit(listener: (exit: WorkerExit) => void): void {
    void this.exited.then(listener);
  }

  /** Asks the worker to stop and kills it if it has not within the grace period. Asking again changes nothing. */
  stop(): void {
    if (this.stopAsked || this.ended) return;
    this.stopAsked = true;
    if (this.options.stopMessage === undefined) return this.kill();
    this.worker.send(this.options.stopMessage);
    this.killTimer = setTimeout(() => this.kill(), this.options.graceMs);
  }

  /**
   * The worker has heard the stop and is finishing its work (saving a checkpoint): it is not hung, so it gets
   * `finishingMs` from now instead of the rest of the grace period.
   */
  stopAcknowledged(): void {
    if (!this.stopAsked || this.ended) return;
    clearTimeout(this.killTimer);
    this.killTimer = setTimeout(() => this.kill(), this.options.finishingMs ?? this.options.graceMs);
  }

  kill(): void {
    if (this.ended) return;
    this.killed = true;
    this.worker.kill();
  }
}

/** Starts a worker through `spawn` as a job. */
export function startWorkerJob<In, Out>(
  spawn: () => ProcessHandle<In, Out>,
  options: WorkerJobOptions<In>,
): WorkerJob<In, Out> {
  return new WorkerJob(spawn(), options);
}
