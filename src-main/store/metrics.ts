import { statement, type Database } from './database';

export interface MetricRow {
  scope: 'batch' | 'epoch';
  step: number;
  epoch: number;
  trainLoss: number | null;
  testLoss: number | null;
  /** The penalty term beside the loss (see migration 0010); null for a plain autoencoder. */
  trainPenalty?: number | null;
  testPenalty?: number | null;
  /** The rate an epoch trained at (see migration 0014); null for batch rows and older epochs. */
  learningRate?: number | null;
  /** A finished run's test images' mean PSNR and SSIM, on its last epoch's row only (see migration 0015). */
  testPsnr?: number | null;
  testSsim?: number | null;
  imagesPerSec: number | null;
  elapsedMs: number;
}

/** Upsert, so a resumed run that repeats a step overwrites it instead of failing. */
export function insertMetric(db: Database, runId: number, m: MetricRow): void {
  statement(
    db,
    `INSERT INTO metrics (run_id, scope, step, epoch, train_loss, test_loss, train_penalty, test_penalty,
       learning_rate, test_psnr, test_ssim, images_per_sec, elapsed_ms)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (run_id, scope, step) DO UPDATE SET epoch = excluded.epoch, train_loss = excluded.train_loss,
       test_loss = excluded.test_loss, train_penalty = excluded.train_penalty, test_penalty = excluded.test_penalty,
       learning_rate = excluded.learning_rate, test_psnr = excluded.test_psnr, test_ssim = excluded.test_ssim,
       images_per_sec = excluded.images_per_sec,
       elapsed_ms = excluded.elapsed_ms`,
  ).run(
    runId,
    m.scope,
    m.step,
    m.epoch,
    m.trainLoss,
    m.testLoss,
    m.trainPenalty ?? null,
    m.testPenalty ?? null,
    m.learningRate ?? null,
    m.testPsnr ?? null,
    m.testSsim ?? null,
    m.imagesPerSec,
    m.elapsedMs,
  );
}

export function listMetrics(db: Database, runId: number, scope: 'batch' | 'epoch'): MetricRow[] {
  return statement(
    db,
    `SELECT scope, step, epoch, train_loss AS trainLoss, test_loss AS testLoss, train_penalty AS trainPenalty,
         test_penalty AS testPenalty, learning_rate AS learningRate, test_psnr AS testPsnr,
         test_ssim AS testSsim, images_per_sec AS imagesPerSec, elapsed_ms AS elapsedMs
       FROM metrics WHERE run_id = ? AND scope = ? ORDER BY step`,
  ).all(runId, scope) as MetricRow[];
}

/** Records a finished run's test image quality on its epoch's row. */
export function setTestQuality(db: Database, runId: number, epoch: number, psnr: number, ssim: number | null): void {
  statement(
    db,
    "UPDATE metrics SET test_psnr = ?, test_ssim = ? WHERE run_id = ? AND scope = 'epoch' AND step = ?",
  ).run(psnr, ssim, runId, epoch);
}

/** Every metric of a run (before a lab run's finished folder replaces the epochs streamed while it trained). */
export function deleteMetrics(db: Database, runId: number): void {
  statement(db, 'DELETE FROM metrics WHERE run_id = ?').run(runId);
}

/**
 * Drops metrics past a checkpoint, so a resumed run continues one clean curve. What a resume redoes: epoch rows after
 * `epoch`, batch rows from `step` on (for a checkpoint at the end of `epoch`, the first step of the next epoch; for one
 * inside the next epoch, the batch it reaches).
 */
export function deleteMetricsFromStep(db: Database, runId: number, epoch: number, step: number): void {
  statement(
    db,
    "DELETE FROM metrics WHERE run_id = ? AND (epoch > ? AND scope = 'epoch' OR scope = 'batch' AND step >= ?)",
  ).run(runId, epoch, step);
}
