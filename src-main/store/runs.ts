import { isOwnerAlive, thisProcess } from '../app/process-owner';
import { statement, type Database } from './database';
import { currentProjectSql } from './projects';

import type { RunStatus } from '../api/contract';

export type { RunStatus };
export const finishedStatuses: readonly RunStatus[] = ['completed', 'stopped', 'failed', 'interrupted'];

export interface RunRow {
  id: number;
  datasetId: number;
  name: string;
  status: RunStatus;
  config: string;
  engine: string | null;
  /** The engine's own words for what it ran on: the GPU adapter, or the CPU kernels. */
  engineDetail: string | null;
  epochsDone: number;
  finalTrainLoss: number | null;
  finalTestLoss: number | null;
  error: string | null;
  note: string | null;
  /** The user's own notes and tags (JSON array of strings). */
  notes: string;
  tags: string;
  /** The sweep the run belongs to, and the values it was given there (JSON object). */
  sweepId: number | null;
  sweepValues: string | null;
  projectId: number;
  workerPid: number | null;
  /** The process whose queue holds the run (see app/process-owner.ts); another process leaves it alone. */
  owner: string | null;
  /** A lab hub's run: the queue's job id (lab/); this process's own queue never trains it. */
  labJob: string | null;
  /** JSON of the lab worker that trains or trained it (LabWorkerInfo), null for a run trained here. */
  worker: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

/** The run row's columns, as RunRow names them. */
export const runColumns = `id, dataset_id AS datasetId, name, status, config, engine, engine_detail AS engineDetail, epochs_done AS epochsDone,
  final_train_loss AS finalTrainLoss, final_test_loss AS finalTestLoss, error, note, notes, tags,
  sweep_id AS sweepId, sweep_values AS sweepValues, project_id AS projectId, worker_pid AS workerPid, owner,
  lab_job AS labJob, worker,
  created_at AS createdAt, started_at AS startedAt, finished_at AS finishedAt`;

export function insertRun(
  db: Database,
  run: { datasetId: number; name: string; config: string; sweepId?: number; sweepValues?: string; labJob?: string },
): number {
  const result = statement(
    db,
    `INSERT INTO runs (dataset_id, name, status, config, sweep_id, sweep_values, created_at, project_id, owner, lab_job)
     VALUES (?, ?, 'queued', ?, ?, ?, ?, ${currentProjectSql}, ?, ?)`,
  ).run(
    run.datasetId,
    run.name,
    run.config,
    run.sweepId ?? null,
    run.sweepValues ?? null,
    new Date().toISOString(),
    thisProcess,
    run.labJob ?? null,
  );
  return Number(result.lastInsertRowid);
}

/** The user's labels of a run: its name, notes and tags. */
export function updateRunLabels(
  db: Database,
  id: number,
  labels: { name?: string; notes?: string; tags?: string[] },
): void {
  statement(
    db,
    `UPDATE runs SET name = coalesce(?, name), notes = coalesce(?, notes), tags = coalesce(?, tags) WHERE id = ?`,
  ).run(labels.name ?? null, labels.notes ?? null, labels.tags ? JSON.stringify(labels.tags) : null, id);
}

/** Deletes a run's row; its metrics, checkpoints, artifacts, codes and maps go with it (ON DELETE CASCADE). */
export function deleteRunRow(db: Database, id: number): void {
  statement(db, 'DELETE FROM runs WHERE id = ?').run(id);
}

export function listRunsOfSweep(db: Database, sweepId: number): RunRow[] {
  return statement(db, `SELECT ${runColumns} FROM runs WHERE sweep_id = ? ORDER BY id`).all(sweepId) as RunRow[];
}

export function getRun(db: Database, id: number): RunRow | undefined {
  return statement(db, `SELECT ${runColumns} FROM runs WHERE id = ?`).get(id) as RunRow | undefined;
}

export function listRuns(db: Database): RunRow[] {
  return statement(db, `SELECT ${runColumns} FROM runs ORDER BY id DESC`).all() as RunRow[];
}

export function listRunsWithStatus(db: Database, status: RunStatus): RunRow[] {
  return statement(db, `SELECT ${runColumns} FROM runs WHERE status = ? ORDER BY id`).all(status) as RunRow[];
}

export function countRunsOfDataset(db: Database, datasetId: number): number {
  return (statement(db, 'SELECT count(*) AS n FROM runs WHERE dataset_id = ?').get(datasetId) as { n: number }).n;
}

/** Claims a queued run for this worker; false when another process got it first. */
export function markRunStarted(
  db: Database,
  id: number,
  engine: { name: string; detail: string },
  workerPid: number,
): boolean {
  const result = statement(
    db,
    `UPDATE runs SET status = 'running', engine = ?, engine_detail = ?, worker_pid = ?, error = NULL,
       started_at = coalesce(started_at, ?), finished_at = NULL WHERE id = ? AND status = 'queued'`,
  ).run(engine.name, engine.detail, workerPid, new Date().toISOString(), id);
  return result.changes === 1;
}

export function recordEpochDone(
  db: Database,
  id: number,
  epochsDone: number,
  trainLoss: number,
  testLoss: number | null,
): void {
  statement(db, 'UPDATE runs SET epochs_done = ?, final_train_loss = ?, final_test_loss = ? WHERE id = ?').run(
    epochsDone,
    trainLoss,
    testLoss,
    id,
  );
}

/**
 * Moves a run to a finished status. Only a run that is still queued or running is changed, so a late
 * report from a dying worker never overwrites a status that was already settled.
 */
export function finishRun(
  db: Database,
  id: number,
  status: RunStatus,
  error: string | null = null,
  note: string | null = null,
): boolean {
  const result = statement(
    db,
    `UPDATE runs SET status = ?, error = ?, note = ?, worker_pid = NULL, finished_at = ?
       WHERE id = ? AND status IN ('queued', 'running')`,
  ).run(status, error, note, new Date().toISOString(), id);
  return result.changes === 1;
}

/** Queues a finished run again, in this process's queue; false when its status changed meanwhile. */
export function requeueRun(db: Database, id: number): boolean {
  const result = statement(
    db,
    `UPDATE runs SET status = 'queued', error = NULL, note = NULL, finished_at = NULL, owner = ?
       WHERE id = ? AND status IN ('stopped', 'interrupted', 'failed')`,
  ).run(thisProcess, id);
  return result.changes === 1;
}

/**
 * Whether this process may train a queued run: it is in our own queue, or its owner is gone (a process killed before
 * its worker started) and we take it over, so it is never stuck queued. Taking over is a compare-and-swap on the old
 * owner: when two processes try at once, one gets it.
 */
export function claimQueuedRun(db: Database, run: Pick<RunRow, 'id' | 'status' | 'owner'>): boolean {
  if (run.status !== 'queued') return false;
  if (run.owner === thisProcess) return true;
  if (isOwnerAlive(run.owner)) return false;
  const result = statement(db, `UPDATE runs SET owner = ? WHERE id = ? AND status = 'queued' AND owner IS ?`).run(
    thisProcess,
    run.id,
    run.owner,
  );
  return result.changes === 1;
}

/**
 * Marks a run interrupted after its worker died, but only if that worker still owned it (or it never started), so
 * a run another process is training is left alone.
 */
export function interruptRun(db: Database, id: number, workerPid: number | null, error: string): boolean {
  const result = statement(
    db,
    `UPDATE runs SET status = 'interrupted', error = ?, worker_pid = NULL, finished_at = ?
     WHERE id = ? AND ((status = 'running' AND worker_pid IS ?) OR status = 'queued')`,
  ).run(error, new Date().toISOString(), id, workerPid);
  return result.changes === 1;
}

/** A run stopped because the app closed (not by the user) becomes interrupted, so a sweep resumes it. */
export function interruptStoppedRun(db: Database, id: number, error: string): void {
  statement(db, `UPDATE runs SET status = 'interrupted', error = ? WHERE id = ? AND status = 'stopped'`).run(error, id);
}

/** A lab run that came home finished becomes this store's own run (resumed here, it trains in this process). */
export function leaveLab(db: Database, id: number): void {
  statement(db, 'UPDATE runs SET lab_job = NULL WHERE id = ?').run(id);
}
