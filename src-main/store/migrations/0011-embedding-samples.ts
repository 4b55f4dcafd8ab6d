import type { Database } from 'better-sqlite3';

// A run's codes may be of a sample of a split (N random images, or N per class) as well as of the whole split: the
// sample, as text ('' for the whole split, e.g. 'random:500:1' or 'per-class:50:1'), joins the key. SQLite cannot
// change a table's UNIQUE constraint in place, so the table is rebuilt with the same ids; its maps are kept aside
// while it is, because dropping it deletes them (ON DELETE CASCADE).
export function up(db: Database): void {
  db.exec(`
    CREATE TABLE embeddings_new (
      id          INTEGER PRIMARY KEY,
      run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
      epoch       INTEGER NOT NULL,
      split       TEXT NOT NULL CHECK (split IN ('train', 'test', 'all')),
      sample      TEXT NOT NULL DEFAULT '',
      count       INTEGER NOT NULL,
      dims        INTEGER NOT NULL,
      path        TEXT NOT NULL,
      elapsed_ms  REAL NOT NULL,
      created_at  TEXT NOT NULL,
      UNIQUE (run_id, epoch, split, sample)
    );
    INSERT INTO embeddings_new (id, run_id, epoch, split, count, dims, path, elapsed_ms, created_at)
      SELECT id, run_id, epoch, split, count, dims, path, elapsed_ms, created_at FROM embeddings;
    CREATE TEMP TABLE projections_kept AS SELECT * FROM projections;
    DROP TABLE embeddings;
    ALTER TABLE embeddings_new RENAME TO embeddings;
    INSERT INTO projections SELECT * FROM projections_kept;
    DROP TABLE projections_kept;
  `);
}
