import type { Database } from 'better-sqlite3';

// Runs a lab hub hands to its workers (lab/). lab_job: the queue's job id, fixed when the run is queued; a run with one
// is never trained by this process's own queue. worker: JSON of the worker that trains or trained it (id, host, GPU,
// engine). lab_imported_at: when its finished folder came home; an upload of the same run again changes nothing.
export function up(db: Database): void {
  db.exec(`ALTER TABLE runs ADD COLUMN lab_job TEXT`);
  db.exec(`ALTER TABLE runs ADD COLUMN worker TEXT`);
  db.exec(`ALTER TABLE runs ADD COLUMN lab_imported_at TEXT`);
}
