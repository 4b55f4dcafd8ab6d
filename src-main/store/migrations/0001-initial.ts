import type { Database } from 'better-sqlite3';

// Pixels, weights and other large binaries live in files under the data folder; rows hold their relative paths.
export function up(db: Database): void {
  db.exec(`
    CREATE TABLE settings (
      key   TEXT PRIMARY KEY,
      value TEXT NOT NULL
    ) STRICT;

    CREATE TABLE datasets (
      id          INTEGER PRIMARY KEY,
      name        TEXT NOT NULL UNIQUE,
      source      TEXT NOT NULL,
      status      TEXT NOT NULL CHECK (status IN ('importing', 'ready')),
      width       INTEGER NOT NULL CHECK (width > 0),
      height      INTEGER NOT NULL CHECK (height > 0),
      channels    INTEGER NOT NULL CHECK (channels IN (1, 3)),
      class_names TEXT NOT NULL,
      pixel_file  TEXT NOT NULL,
      created_at  TEXT NOT NULL
    ) STRICT;

    CREATE TABLE images (
      id           INTEGER PRIMARY KEY,
      dataset_id   INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
      idx          INTEGER NOT NULL,
      split        TEXT NOT NULL CHECK (split IN ('train', 'test')),
      label        INTEGER NOT NULL,
      file_name    TEXT NOT NULL,
      content_hash TEXT,
      orig_width   INTEGER,
      orig_height  INTEGER,
      UNIQUE (dataset_id, idx)
    ) STRICT;
    CREATE INDEX images_by_split ON images (dataset_id, split, idx);

    CREATE TABLE runs (
      id               INTEGER PRIMARY KEY,
      dataset_id       INTEGER NOT NULL REFERENCES datasets(id),
      name             TEXT NOT NULL,
      status           TEXT NOT NULL
                       CHECK (status IN ('queued', 'running', 'completed', 'stopped', 'failed', 'interrupted')),
      config           TEXT NOT NULL,
      engine           TEXT,
      epochs_done      INTEGER NOT NULL DEFAULT 0,
      final_train_loss REAL,
      final_test_loss  REAL,
      error            TEXT,
      worker_pid       INTEGER,
      created_at       TEXT NOT NULL,
      started_at       TEXT,
      finished_at      TEXT
    ) STRICT;

    CREATE TABLE metrics (
      run_id         INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
      scope          TEXT NOT NULL CHECK (scope IN ('batch', 'epoch')),
      step           INTEGER NOT NULL,
      epoch          INTEGER NOT NULL,
      train_loss     REAL,
      test_loss      REAL,
      images_per_sec REAL,
      elapsed_ms     REAL NOT NULL,
      PRIMARY KEY (run_id, scope, step)
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE checkpoints (
      id         INTEGER PRIMARY KEY,
      run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
      epoch      INTEGER NOT NULL,
      path       TEXT NOT NULL,
      created_at TEXT NOT NULL,
      UNIQUE (run_id, epoch)
    ) STRICT;

    CREATE TABLE artifacts (
      id         INTEGER PRIMARY KEY,
      run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
      kind       TEXT NOT NULL,
      epoch      INTEGER NOT NULL,
      path       TEXT NOT NULL,
      meta       TEXT NOT NULL,
      created_at TEXT NOT NULL,
      UNIQUE (run_id, kind, epoch)
    ) STRICT;
  `);
}
