import type { Database } from 'better-sqlite3';

// Every import keeps its report (layout, options, skipped files with reasons) with the dataset, as JSON.
export function up(db: Database): void {
  db.exec(`ALTER TABLE datasets ADD COLUMN report TEXT`);
}
