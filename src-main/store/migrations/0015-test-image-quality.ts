import type { Database } from 'better-sqlite3';

// A finished run's image quality on its test split, beside its loss: the mean PSNR (dB) and SSIM of its test images'
// reconstructions, measured once when training ends and kept on its last epoch's row. NULL on every other row, for
// runs that did not finish, and for runs trained before this version.
export function up(db: Database): void {
  db.exec(`ALTER TABLE metrics ADD COLUMN test_psnr REAL`);
  db.exec(`ALTER TABLE metrics ADD COLUMN test_ssim REAL`);
}
