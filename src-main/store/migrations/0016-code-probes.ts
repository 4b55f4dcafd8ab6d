import type { Database } from 'better-sqlite3';

// How useful a checkpoint's codes are (evaluation/code-probe.ts): k-NN and linear-probe accuracy with the chance
// level, one row per run and epoch, kept when they are computed so Compare and the runs CSV can show them.
export function up(db: Database): void {
  db.exec(`
    CREATE TABLE code_probes (
      run_id           INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
      epoch            INTEGER NOT NULL,
      knn_accuracy     REAL NOT NULL,
      linear_accuracy  REAL NOT NULL,
      chance           REAL NOT NULL,
      train_count      INTEGER NOT NULL,
      test_count       INTEGER NOT NULL,
      created_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
      PRIMARY KEY (run_id, epoch)
    ) STRICT;
  `);
}
