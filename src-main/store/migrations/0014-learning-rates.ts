import type { Database } from 'better-sqlite3';

// The learning rate each epoch trained at, drawn under the loss chart: with a schedule it changes from epoch to epoch.
// NULL for epochs trained before this version (at the config's constant rate) and for batch rows.
export function up(db: Database): void {
  db.exec(`ALTER TABLE metrics ADD COLUMN learning_rate REAL`);
}
