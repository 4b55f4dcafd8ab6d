import type { Database } from 'better-sqlite3';

// A run's latent codes for a split at one checkpoint (stored once, reused), and the 2-D maps made from them. The
// numbers live in files under the run's folder; rows are written only after their files are complete.
export function up(db: Database): void {
  db.exec(`
    CREATE TABLE embeddings (
      id          INTEGER PRIMARY KEY,
      run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
      epoch       INTEGER NOT NULL,
      split       TEXT NOT NULL CHECK (split IN ('train', 'test', 'all')),
      count       INTEGER NOT NULL,
      dims        INTEGER NOT NULL,
      path        TEXT NOT NULL,
      elapsed_ms  REAL NOT NULL,
      created_at  TEXT NOT NULL,
      UNIQUE (run_id, epoch, split)
    );
    CREATE TABLE projections (
      id            INTEGER PRIMARY KEY,
      embedding_id  INTEGER NOT NULL REFERENCES embeddings(id) ON DELETE CASCADE,
      method        TEXT NOT NULL CHECK (method IN ('tsne', 'umap', 'pca')),
      params        TEXT NOT NULL,
      path          TEXT NOT NULL,
      meta          TEXT NOT NULL,
      elapsed_ms    REAL NOT NULL,
      created_at    TEXT NOT NULL
    );
  `);
}
