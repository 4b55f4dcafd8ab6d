import type { Database } from '../store/database';
import * as runs from '../store/runs';
import type { EngineStatus, RunStatus, TrainingProgress } from '../api/contract';
import { isOwnerAlive, isProcessAlive } from '../app/process-owner';
import type { ProcessHandle } from '../app/process-handle';
import { Listeners, Waiters } from '../app/job-registry';
import { startWorkerJob, WorkerJob } from '../app/worker-job';

/**
 * What main tells a training worker: train a run, pause, resume or stop it, or only report its engine. `train` and
 * `probe` may lead to a Chromium GPU worker: in the desktop app a port travels with the message; the tests and the
 * desktop GPU check name a WebSocket instead (gpuHostUrl; worker/gpu-host-port.ts).
 */
export type TrainingRequest =
  | { type: 'train'; runId: number; dataDir: string; onCpu?: boolean; gpuHostUrl?: string }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'stop' }
  | { type: 'probe'; gpuHostUrl?: string };

/**
 * What a training worker reports: the engine it loaded, each batch's progress, that it heard a stop and is saving,
 * and how the run ended.
 */
export type TrainingReport =
  | { type: 'engine'; status: EngineStatus }
  | { type: 'stopping' }
  | { type: 'progress'; progress: TrainingProgress }
  | { type: 'done'; runId: number; status: RunStatus; error: string | null };

type TrainingWorker = ProcessHandle<TrainingRequest, TrainingReport>;
type TrainingJob = WorkerJob<TrainingRequest, TrainingReport>;

/** How long a stop request may take to be heard before the worker is killed; it checks between batches. */
const stopGraceMs = 15_000;
/**
 * How long a worker that has heard the stop may take to save its checkpoint: re-measuring batch-norm statistics on a
 * conv model can take a minute or more on a busy 2-core machine.
 */
const stopFinishingMs = 10 * 60_000;

/** Runs left 'running' by a process that no longer exists (crash, kill, power loss) become 'interrupted'. */
export function reconcileStaleRuns(db: Database): void {
  for (const run of runs.listRunsWithStatus(db, 'running')) {
    // A lab hub's run trains on a lab worker, not in a process of this machine (lab/lab-hub.ts).
    if (run.labJob !== null) continue;
    // A worker exits when the process that started it goes, so either one gone means the run is no longer training.
    if (run.workerPid === null || !isProcessAlive(run.workerPid) || !isOwnerAlive(run.owner)) {
      runs.interruptRun(
        db,
        run.id,
        run.workerPid,
        'The training process ended without finishing. Resume the run to continue from its last checkpoint.',
      );
    }
  }
}

/**
 * Starts training workers one run at a time, relays their progress, and settles the run's status when a worker dies
 * without reporting, so no run stays 'running' forever.
 */
export class TrainingSupervisor {
  private readonly queue: number[] = [];
  private paused = false;
  private active:
    | {
        runId: number;
        job: TrainingJob;
        latest?: TrainingProgress;
        /** Someone asked this run to stop (Stop, Ctrl+C): its 'stopped' is theirs, not the app's closing. */
        stopAsked?: boolean;
      }
    | undefined;
  private readonly listeners = new Listeners<TrainingProgress>();
  private readonly waiters = new Waiters<number, runs.RunStatus>();
  private engineStatus: Promise<EngineStatus> | undefined;
  private closed = false;
  private readonly onCpu = new Set<number>();

  constructor(
    private readonly db: Database,
    private readonly dataDir: string,
    private readonly spawn: () => TrainingWorker,
  ) {}

  /** The engine a training process gets on this machine, probed once in a short-lived worker. */
  engine(): Promise<EngineStatus> {
    this.engineStatus ??= new Promise<EngineStatus>((resolve, reject) => {
      const probe = this.startJob();
      let answered = false;
      probe.onMessage((message) => {
        if (message.type === 'engine') {
          answered = true;
          resolve(message.status);
        }
      });
      probe.onExit(({ code, signal }) => {
        if (!answered) {
          this.engineStatus = undefined;
          reject(new Error(`The engine probe ended without an answer (${signal ?? `exit code ${code}`}).`));
        }
      });
      probe.send({ type: 'probe' });
    });
    return this.engineStatus;
  }

  /** Queues a run; `onCpu` trains it on the fastest CPU engine even where a GPU engine loads. */
  enqueue(runId: number, options: { onCpu?: boolean } = {}): void {
    if (options.onCpu) this.onCpu.add(runId);
    if (this.queue.includes(runId) || this.active?.runId === runId) return;
    this.queue.push(runId);
    this.pump();
  }

  isQueuedOrActive(runId: number): boolean {
    return this.queue.includes(runId) || this.active?.runId === runId;
  }

  /** Pauses the active run between batches; its worker keeps the model in memory and waits. */
  pause(runId: number): boolean {
    if (this.active?.runId !== runId || this.active.job.stopping) return false;
    this.active.job.send({ type: 'pause' });
    this.paused = true;
    return true;
  }

  /** Lets a paused run go on. */
  unpause(runId: number): boolean {
    if (this.active?.runId !== runId || !this.paused) return false;
    this.active.job.send({ type: 'resume' });
    this.paused = false;
    return true;
  }

  isPaused(runId: number): boolean {
    return this.paused && this.active?.runId === runId;
  }

  /** Asks a run to stop after its current batch; a queued run is simply taken off the queue. */
  stop(runId: number): void {
    const queued = this.queue.indexOf(runId);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      if (runs.finishRun(this.db, runId, 'stopped')) this.emitStatus(runId, 'stopped', null);
      return;
    }
    if (this.active?.runId === runId && !this.active.job.stopping) {
      this.active.stopAsked = true;
      this.paused = false;
      this.active.job.stop();
    }
  }

  /** The active run's last report, so a window that opens mid-run (or while it is paused) shows where it is. */
  currentProgress(): TrainingProgress[] {
    return this.active?.latest ? [this.active.latest] : [];
  }

  onProgress(listener: (progress: TrainingProgress) => void): () => void {
    return this.listeners.add(listener);
  }

  /** Resolves with the run's final status once it is no longer queued or running. */
  waitForRun(runId: number): Promise<runs.RunStatus> {
    const run = runs.getRun(this.db, runId);
    if (run && runs.finishedStatuses.includes(run.status) && !this.isQueuedOrActive(runId)) {
      return Promise.resolve(run.status);
    }
    return this.waiters.wait(runId);
  }

  /**
   * Stops the active run (it keeps its last checkpoint) and forgets the queue; queued runs stay queued in the store.
   * The stopped run is marked interrupted, not stopped: the user did not stop it, so a sweep carries it on at the
   * next start (resumeUnfinished).
   */
  async close(): Promise<void> {
    this.closed = true;
    this.queue.length = 0;
    const active = this.active;
    if (!active) return;
    const stopAsked = active.stopAsked === true;
    this.stop(active.runId);
    await active.job.exited;
    // A run someone had already asked to stop stays stopped; one the app stops on its way out is left interrupted.
    if (stopAsked) return;
    runs.interruptStoppedRun(
      this.db,
      active.runId,
      'The app closed while this run was training. Resume it to continue from its last checkpoint.',
    );
  }

  private pump(): void {
    if (this.active || this.closed) return;
    const runId = this.queue.shift();
    if (runId === undefined) return;
    const job = this.startJob();
    this.active = { runId, job };
    this.paused = false;
    job.onMessage((message) => this.handle(message));
    job.onExit(({ code, signal }) => {
      const reason = signal ? `it was killed (${signal})` : `it exited with code ${code}`;
      const message = `The training process stopped unexpectedly: ${reason}. Resume the run to continue from its last checkpoint.`;
      try {
        if (runs.interruptRun(this.db, runId, job.pid ?? null, message)) this.emitStatus(runId, 'interrupted', message);
      } catch (err) {
        // The store refused the write (a full disk): the next start settles the run; this process carries on.
        console.warn(`Could not record that run ${runId} stopped: ${(err as Error).message}`);
      }
      this.settle(runId);
      this.active = undefined;
      this.pump();
    });
    job.send({ type: 'train', runId, dataDir: this.dataDir, onCpu: this.onCpu.delete(runId) });
  }

  /** A training worker: asked to stop, it saves a checkpoint after its current batch, or is killed after the grace. */
  private startJob(): TrainingJob {
    return startWorkerJob(this.spawn, {
      stopMessage: { type: 'stop' },
      graceMs: stopGraceMs,
      finishingMs: stopFinishingMs,
    });
  }

  private handle(message: TrainingReport): void {
    if (message.type === 'engine') this.engineStatus ??= Promise.resolve(message.status);
    else if (message.type === 'stopping') this.active?.job.stopAcknowledged();
    else if (message.type === 'progress') this.emit(message.progress);
    else if (message.type === 'done') this.emitStatus(message.runId, message.status, message.error);
  }

  private settle(runId: number): void {
    const status = runs.getRun(this.db, runId)?.status ?? 'failed';
    this.waiters.resolve(runId, status);
  }

  private emitStatus(runId: number, status: runs.RunStatus, error: string | null): void {
    const run = runs.getRun(this.db, runId);
    this.emit({
      runId,
      status,
      phase: 'finished',
      epoch: run?.epochsDone ?? 0,
      epochs: run ? (JSON.parse(run.config) as { epochs: number }).epochs : 0,
      batch: 0,
      batches: 0,
      trainLoss: run?.finalTrainLoss ?? null,
      testLoss: run?.finalTestLoss ?? null,
      imagesPerSec: null,
      elapsedMs: 0,
      etaMs: null,
      engine: run?.engine ?? null,
      memory: null,
      error,
    });
  }

  private emit(progress: TrainingProgress): void {
    if (this.active?.runId === progress.runId) this.active.latest = progress;
    this.listeners.emit(progress);
  }
}
