import { statement, type Database } from './database';
import type { CheckpointInside } from '../api/contract';

export interface CheckpointRow {
  id: number;
  epoch: number;
  path: string;
  /** For a checkpoint inside `epoch`: how many of its batches were done, of how many. Null at the end of an epoch. */
  batchesDone: number | null;
  batchesTotal: number | null;
}

/** How far into its epoch a checkpoint was saved, or null for one saved at the end of its epoch. */
export function checkpointInside(c: CheckpointRow | undefined): CheckpointInside | null {
  return c && c.batchesDone !== null ? { epoch: c.epoch, batch: c.batchesDone, batches: c.batchesTotal ?? 0 } : null;
}

const columns = 'id, epoch, path, batches_done AS batchesDone, batches_total AS batchesTotal';

/** Stores the checkpoint of `epoch` (inside it, with `partial`), replacing the row of the same epoch if any. */
export function insertCheckpoint(
  db: Database,
  runId: number,
  epoch: number,
  path: string,
  partial: { done: number; total: number } | null = null,
): void {
  statement(
    db,
    `INSERT INTO checkpoints (run_id, epoch, path, created_at, batches_done, batches_total) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (run_id, epoch) DO UPDATE SET path = excluded.path, created_at = excluded.created_at,
       batches_done = excluded.batches_done, batches_total = excluded.batches_total`,
  ).run(runId, epoch, path, new Date().toISOString(), partial?.done ?? null, partial?.total ?? null);
}

export function latestCheckpoint(db: Database, runId: number): CheckpointRow | undefined {
  return statement(db, `SELECT ${columns} FROM checkpoints WHERE run_id = ? ORDER BY epoch DESC LIMIT 1`).get(runId) as
    CheckpointRow | undefined;
}

export function listCheckpoints(db: Database, runId: number): CheckpointRow[] {
  return statement(db, `SELECT ${columns} FROM checkpoints WHERE run_id = ? ORDER BY epoch`).all(
    runId,
  ) as CheckpointRow[];
}

export function deleteCheckpoint(db: Database, runId: number, epoch: number): void {
  statement(db, 'DELETE FROM checkpoints WHERE run_id = ? AND epoch = ?').run(runId, epoch);
}
