import { randomUUID } from 'node:crypto';
import type { Database } from '../store/database';
import * as runs from '../store/runs';
import * as metrics from '../store/metrics';
import { statement } from '../store/database';
import { getDataset } from '../store/datasets';
import { countImages } from '../store/images';
import { storeSweep, getSweepSummary } from '../experiments/sweeps';
import { readExportedRun, storeExportedRun } from '../experiments/run-export';
import { UserError } from '../api/errors';
import type { LabWorkerInfo, StartSweepArgs, SweepSummary, TrainingConfig } from '../api/contract';
import { DatasetPacks } from './dataset-pack';
import type { LabQueue } from './lab-queue';
import {
  appVersion,
  type EpochMetric,
  type HeartbeatAnswer,
  type LabJob,
  type LabStatus,
  type LabWorkerRow,
  type WorkerHealth,
} from './lab-protocol';

/** Why a run that came home stopped early, when the hub cancelled it. */
const cancelledNote = 'Cancelled through the lab hub.';

/**
 * The lab hub: owns the team's store (the only process that writes it) and the queue (the only one that enqueues and
 * cancels). Workers ask it for jobs, keep them alive with heartbeats that carry their epochs so far, upload the finished
 * run's folder, and only then complete the job: a job delivered twice (a worker killed after its upload) finds its run
 * already home and changes nothing, so every queued run ends up in the store exactly once.
 */
export class LabHub {
  readonly packs: DatasetPacks;
  private readonly workers = new Map<string, LabWorkerRow>();
  private readonly startedAt = Date.now();

  constructor(
    /** The hub's store: its database and data folder. */
    readonly store: { db: Database; dataDir: string },
    readonly queue: LabQueue,
  ) {
    this.packs = new DatasetPacks(store.db, store.dataDir);
  }

  private get db() {
    return this.store.db;
  }

  /**
   * After a restart: every lab run not yet home is sent to the queue again under its own job id, which changes
   * nothing for a job the queue still has and re-queues one it never got (a hub killed between storing a sweep and
   * sending its jobs).
   */
  async resendUnfinished(): Promise<number> {
    const waiting = statement(
      this.db,
      `SELECT id, lab_job AS labJob, dataset_id AS datasetId FROM runs
         WHERE lab_job IS NOT NULL AND lab_imported_at IS NULL AND status IN ('queued', 'running')`,
    ).all() as Array<{ id: number; labJob: string; datasetId: number }>;
    for (const run of waiting) {
      await this.packs.info(run.datasetId);
      await this.queue.send(run.labJob, run.id);
    }
    return waiting.length;
  }

  /** Stores a sweep whose runs train on the lab's workers, and queues one job per run. */
  async startSweep(args: StartSweepArgs): Promise<SweepSummary> {
    // The dataset is hashed before anything is queued: a worker may ask for it at once.
    await this.packs.info(args.datasetId);
    const jobIds: string[] = [];
    const { sweepId, runIds } = storeSweep(this.db, args, () => {
      jobIds.push(randomUUID());
      return jobIds.at(-1)!;
    });
    for (const [i, runId] of runIds.entries()) await this.queue.send(jobIds[i], runId);
    return getSweepSummary(this.db, sweepId);
  }

  /** A worker says who it is and how it is; the hub keeps the last word of each for the Workers list. */
  hello(worker: LabWorkerInfo, health: WorkerHealth, runId: number | null = null): void {
    this.workers.set(worker.id, { ...worker, health, runId, lastSeen: new Date().toISOString() });
  }

  /** The next job for this worker, or null when the queue is empty (or the worker reported itself unhealthy). */
  async next(worker: LabWorkerInfo, health: WorkerHealth): Promise<LabJob | null> {
    this.hello(worker, health);
    if (!health.healthy) return null;
    for (;;) {
      const job = await this.queue.fetch();
      if (!job) return null;
      const run = runs.getRun(this.db, job.runId);
      // A run already home (its worker was killed after uploading), deleted, or cancelled meanwhile: nothing to do.
      if (!run || run.labJob !== job.id || this.isHome(run.id) || !['queued', 'running'].includes(run.status)) {
        await this.queue.complete(job.id);
        continue;
      }
      statement(
        this.db,
        `UPDATE runs SET status = 'running', worker = ?, error = NULL, started_at = coalesce(started_at, ?) WHERE id = ?`,
      ).run(JSON.stringify(worker), new Date().toISOString(), run.id);
      this.hello(worker, health, run.id);
      return {
        jobId: job.id,
        runId: run.id,
        runName: run.name,
        config: JSON.parse(run.config) as TrainingConfig,
        dataset: await this.packs.info(run.datasetId),
        retryCount: job.retryCount,
      };
    }
  }

  /**
   * A worker's heartbeat: keeps its job alive and records its epochs so far (best effort: the finished folder has the
   * final word). The answer tells it to stop when the job was cancelled, or was given to another worker after this one
   * went quiet too long.
   */
  async heartbeat(
    jobId: string,
    worker: LabWorkerInfo,
    runId: number,
    epochs: EpochMetric[],
  ): Promise<HeartbeatAnswer> {
    const run = this.requireLabRun(runId, jobId);
    this.hello(worker, this.workers.get(worker.id)?.health ?? { healthy: true, problem: null }, runId);
    const state = await this.queue.state(jobId);
    if (state?.state === 'cancelled') return { stop: 'cancelled', why: cancelledNote };
    const holder = run.worker ? (JSON.parse(run.worker) as LabWorkerInfo).id : null;
    if (state?.state !== 'active' || holder !== worker.id) {
      return {
        stop: 'reassigned',
        why: 'This worker was not heard from in time, so the hub queued the run again for any worker.',
      };
    }
    await this.queue.touch(jobId);
    // Training, whatever a settle that crossed this job's fetch said.
    statement(this.db, `UPDATE runs SET status = 'running' WHERE id = ? AND status = 'queued'`).run(runId);
    if (epochs.length > 0 && !this.isHome(runId)) {
      this.db.transaction(() => {
        for (const m of epochs) metrics.insertMetric(this.db, runId, { ...m, scope: 'epoch' });
        const last = epochs.at(-1)!;
        runs.recordEpochDone(this.db, runId, last.epoch, last.trainLoss ?? 0, last.testLoss);
      })();
    }
    return { stop: null, why: null };
  }

  /**
   * Stores a run's finished folder (an export, unpacked) under the run's own id, once: a second upload of the same run
   * changes nothing and says so. The folder is checked like any exported run; a bad one stores nothing.
   */
  importFolder(runId: number, jobId: string, dir: string, worker: LabWorkerInfo): { imported: boolean } {
    const run = this.requireLabRun(runId, jobId);
    if (this.isHome(runId)) return { imported: false };
    const exported = readExportedRun(dir, this.store.dataDir);
    const wanted = exported.manifest.dataset;
    const dataset = getDataset(this.db, run.datasetId);
    if (
      !dataset ||
      wanted.width !== dataset.width ||
      wanted.height !== dataset.height ||
      wanted.channels !== dataset.channels ||
      wanted.images !== countImages(this.db, dataset.id)
    ) {
      throw new UserError('invalid_argument', `The uploaded folder is not of run ${runId}: its images differ.`);
    }
    try {
      storeExportedRun(
        this.db,
        this.store.dataDir,
        exported,
        () => {
          // Checked again inside the transaction: two uploads of one run at once store it once.
          if (this.isHome(runId)) throw new AlreadyHome();
          statement(
            this.db,
            // A failed try's error goes: the run that came home is the one that worked.
            `UPDATE runs SET worker = ?, lab_imported_at = ?, error = NULL, note = CASE WHEN ? THEN ? ELSE note END
             WHERE id = ?`,
          ).run(
            JSON.stringify(worker),
            new Date().toISOString(),
            exported.manifest.status === 'stopped' ? 1 : 0,
            cancelledNote,
            runId,
          );
          return runId;
        },
        // The run's created_at stays the hub's: the folder's is the worker's copy's.
        { keepCreatedAt: true },
      );
    } catch (err) {
      if (err instanceof AlreadyHome) return { imported: false };
      throw err;
    }
    return { imported: true };
  }

  /** Completes a job whose run is home; refused until then, so a job never completes with its run lost. */
  async complete(jobId: string, runId: number): Promise<void> {
    this.requireLabRun(runId, jobId);
    if (!this.isHome(runId)) {
      throw new UserError('conflict', `Run ${runId} has not been uploaded yet; upload its folder, then complete it.`);
    }
    await this.queue.complete(jobId);
  }

  /** A worker could not train the job: the queue retries it (on any worker) until its retry limit, then it fails. */
  async fail(jobId: string, runId: number, error: string): Promise<void> {
    this.requireLabRun(runId, jobId);
    await this.queue.fail(jobId, error);
    const state = await this.queue.state(jobId);
    if (state?.state === 'failed') runs.finishRun(this.db, runId, 'failed', error);
    else
      statement(this.db, `UPDATE runs SET status = 'queued', error = ? WHERE id = ? AND status = 'running'`).run(
        error,
        runId,
      );
  }

  /** Cancels a lab run: a queued one at once; a training one when its worker next hears (between batches). */
  async cancel(runId: number): Promise<{ wasTraining: boolean }> {
    const run = runs.getRun(this.db, runId);
    if (!run) throw new UserError('not_found', `There is no run with id ${runId}.`);
    if (run.labJob === null) throw new UserError('invalid_argument', `Run ${runId} is not a lab run.`);
    if (!['queued', 'running'].includes(run.status)) {
      throw new UserError('conflict', `Run ${runId} is not queued or training (it is ${run.status}).`);
    }
    await this.queue.cancel(run.labJob);
    if (run.status === 'queued') runs.finishRun(this.db, runId, 'stopped', null, cancelledNote);
    return { wasTraining: run.status === 'running' };
  }

  /**
   * Brings the store in line with what the queue decided on its own (pg-boss has no callback for these): a run whose
   * job was taken back from a worker that went quiet is queued again; one whose tries ran out is failed; a cancelled
   * one whose worker never came back to upload it is stopped. The hub calls it every half heartbeat period.
   */
  async settle(): Promise<void> {
    const open = statement(
      this.db,
      `SELECT id, lab_job AS labJob, status, worker FROM runs
         WHERE lab_job IS NOT NULL AND lab_imported_at IS NULL AND status IN ('queued', 'running')`,
    ).all() as Array<{ id: number; labJob: string; status: string; worker: string | null }>;
    const quietMs = 2 * this.queue.options.heartbeatSeconds * 1000;
    const quiet = (worker: string | null) => {
      const seen = worker ? this.workers.get((JSON.parse(worker) as LabWorkerInfo).id)?.lastSeen : undefined;
      return Date.now() - (seen ? Date.parse(seen) : this.startedAt) > quietMs;
    };
    for (const run of open) {
      const job = await this.queue.state(run.labJob);
      if (job?.state === 'failed') {
        runs.finishRun(
          this.db,
          run.id,
          'failed',
          `Tried ${job.retryCount + 1} times; its workers failed or stopped answering each time.`,
        );
      } else if ((job?.state === 'created' || job?.state === 'retry') && run.status === 'running') {
        statement(this.db, `UPDATE runs SET status = 'queued' WHERE id = ? AND status = 'running'`).run(run.id);
      } else if (job?.state === 'cancelled' && run.status === 'running' && quiet(run.worker)) {
        runs.finishRun(this.db, run.id, 'stopped', null, cancelledNote);
      }
    }
  }

  async status(): Promise<LabStatus> {
    const labRuns = statement(
      this.db,
      `SELECT ${runs.runColumns} FROM runs WHERE lab_job IS NOT NULL ORDER BY id DESC LIMIT 500`,
    ).all() as runs.RunRow[];
    // One question to the queue per run, asked at once (pg's pool runs them side by side).
    const states = await Promise.all(labRuns.map((run) => this.queue.state(run.labJob!)));
    const jobs = labRuns.map((run, i) => {
      const state = states[i];
      return {
        runId: run.id,
        name: run.name,
        state: state?.state ?? 'gone',
        runStatus: run.status,
        epochsDone: run.epochsDone,
        epochs: (JSON.parse(run.config) as TrainingConfig).epochs,
        worker: run.worker ? (JSON.parse(run.worker) as LabWorkerInfo) : null,
        retryCount: state?.retryCount ?? 0,
      };
    });
    return { version: appVersion(), jobs: jobs.reverse(), workers: [...this.workers.values()] };
  }

  private isHome(runId: number): boolean {
    const row = statement(this.db, 'SELECT lab_imported_at AS at FROM runs WHERE id = ?').get(runId) as
      { at: string | null } | undefined;
    return row?.at != null;
  }

  private requireLabRun(runId: number, jobId: string): runs.RunRow {
    const run = runs.getRun(this.db, runId);
    if (!run || run.labJob !== jobId) throw new UserError('not_found', `Run ${runId} is not the run of job ${jobId}.`);
    return run;
  }
}

class AlreadyHome extends Error {}
