import { statement, type Database } from './database';

/** A checkpoint's codes scored (migration 0016). */
export interface CodeProbeRow {
  epoch: number;
  knnAccuracy: number;
  linearAccuracy: number;
  chance: number;
  trainCount: number;
  testCount: number;
}

/** Keeps a probe; probing the same checkpoint again replaces it. */
export function saveCodeProbe(db: Database, runId: number, p: CodeProbeRow): void {
  statement(
    db,
    `INSERT INTO code_probes (run_id, epoch, knn_accuracy, linear_accuracy, chance, train_count, test_count)
     VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (run_id, epoch) DO UPDATE SET knn_accuracy = excluded.knn_accuracy,
       linear_accuracy = excluded.linear_accuracy, chance = excluded.chance, train_count = excluded.train_count,
       test_count = excluded.test_count, created_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`,
  ).run(runId, p.epoch, p.knnAccuracy, p.linearAccuracy, p.chance, p.trainCount, p.testCount);
}

/** A run's probes, by epoch. */
export function listCodeProbes(db: Database, runId: number): CodeProbeRow[] {
  return statement(
    db,
    `SELECT epoch, knn_accuracy AS knnAccuracy, linear_accuracy AS linearAccuracy, chance,
       train_count AS trainCount, test_count AS testCount
     FROM code_probes WHERE run_id = ? ORDER BY epoch`,
  ).all(runId) as CodeProbeRow[];
}
