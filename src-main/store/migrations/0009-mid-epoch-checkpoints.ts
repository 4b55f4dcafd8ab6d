import type { Database } from 'better-sqlite3';

// A checkpoint written inside an epoch (on Stop, on Pause, every few minutes of a long epoch) is stored under the
// epoch it is inside, with how many of its batches were done; NULL marks the usual end-of-epoch checkpoint. A run
// has at most one, its latest, and the checkpoint at the end of that epoch replaces it.
export function up(db: Database): void {
  db.exec(`ALTER TABLE checkpoints ADD COLUMN batches_done INTEGER`);
  db.exec(`ALTER TABLE checkpoints ADD COLUMN batches_total INTEGER`);
}
