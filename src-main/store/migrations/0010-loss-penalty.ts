import type { Database } from 'better-sqlite3';

// A run's losses are its reconstruction loss (MSE or cross-entropy, what runs are compared on); the penalty its
// objective adds in training (a sparse run's weighted L1, a VAE's β·KL) is kept beside it, NULL for a plain
// autoencoder. Sparse and variational runs trained before this version have NULL penalties and losses that include
// them: the app says so where it shows them (runs/run-summaries.ts, includedInLoss).
export function up(db: Database): void {
  db.exec(`ALTER TABLE metrics ADD COLUMN train_penalty REAL`);
  db.exec(`ALTER TABLE metrics ADD COLUMN test_penalty REAL`);
}
