import type { Database } from 'better-sqlite3';

// Projects group datasets, runs and sweeps. Everything stored so far goes into the first project. (A column added
// with REFERENCES must default to NULL in SQLite, so project_id is kept consistent by the code that writes it.)
export function up(db: Database): void {
  db.exec(`
    CREATE TABLE projects (
      id          INTEGER PRIMARY KEY,
      name        TEXT NOT NULL UNIQUE,
      created_at  TEXT NOT NULL
    ) STRICT;
    INSERT INTO projects (id, name, created_at) VALUES (1, 'My project', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
    ALTER TABLE datasets ADD COLUMN project_id INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE runs ADD COLUMN project_id INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE sweeps ADD COLUMN project_id INTEGER NOT NULL DEFAULT 1;
  `);
}
