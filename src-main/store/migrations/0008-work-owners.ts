import type { Database } from 'better-sqlite3';

// Who owns unfinished work: the process importing a dataset, the process whose queue holds a run. Start-up clean-up
// touches only work whose owner is gone (see app/process-owner.ts), so a second window or a CLI command never
// deletes a live import or steals a queued run.
export function up(db: Database): void {
  db.exec(`ALTER TABLE datasets ADD COLUMN owner TEXT`);
  db.exec(`ALTER TABLE runs ADD COLUMN owner TEXT`);
}
