import { statement, type Database } from './database';

export interface CheckpointRow {
  id: number;
  epoch: number;
  path: string;
}

export function insertCheckpoint(db: Database, runId: number, epoch: number, path: string): void {
  statement(
    db,
    `INSERT INTO checkpoints (run_id, epoch, path, created_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (run_id, epoch) DO UPDATE SET path = excluded.path, created_at = excluded.created_at`,
  ).run(runId, epoch, path, new Date().toISOString());
}

export function latestCheckpoint(db: Database, runId: number): CheckpointRow | undefined {
  return statement(db, 'SELECT id, epoch, path FROM checkpoints WHERE run_id = ? ORDER BY epoch DESC LIMIT 1').get(
    runId,
  ) as CheckpointRow | undefined;
}

export function listCheckpoints(db: Database, runId: number): CheckpointRow[] {
  return statement(db, 'SELECT id, epoch, path FROM checkpoints WHERE run_id = ? ORDER BY epoch').all(
    runId,
  ) as CheckpointRow[];
}

export function deleteCheckpoint(db: Database, runId: number, epoch: number): void {
  statement(db, 'DELETE FROM checkpoints WHERE run_id = ? AND epoch = ?').run(runId, epoch);
}
