import type { Database } from 'better-sqlite3';

// Experiments: a run's own notes and tags, and sweeps — one base config trained once per combination of values of
// one or two parameters. A sweep's runs are ordinary runs that point back to it with the values they were given.
export function up(db: Database): void {
  db.exec(`
    CREATE TABLE sweeps (
      id          INTEGER PRIMARY KEY,
      name        TEXT NOT NULL,
      dataset_id  INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
      base_config TEXT NOT NULL,
      axes        TEXT NOT NULL,
      created_at  TEXT NOT NULL
    ) STRICT;
    ALTER TABLE runs ADD COLUMN notes TEXT NOT NULL DEFAULT '';
    ALTER TABLE runs ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE runs ADD COLUMN sweep_id INTEGER REFERENCES sweeps(id) ON DELETE SET NULL;
    ALTER TABLE runs ADD COLUMN sweep_values TEXT;
    CREATE INDEX runs_by_sweep ON runs (sweep_id);
  `);
}
