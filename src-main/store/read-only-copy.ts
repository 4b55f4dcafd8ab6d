import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { UserError } from '../api/errors';
import { openDatabase, type Database } from './database';

/**
 * Opens a store on a read-only disk or folder (a DVD, a read-only share, a colleague's folder). SQLite cannot open a
 * WAL-mode database where it cannot create its index file, so the store (and its journal) is copied to a temporary
 * folder, made whole there, and opened read-only: every read works, every write is refused by SQLite itself.
 * `dispose` closes it and removes the copy.
 */
export function openReadOnlyCopy(file: string): { db: Database; dispose(): void } {
  if (!existsSync(file)) {
    throw new UserError('store_unavailable', `The data folder is read-only and holds no experiment store (${file}).`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'ae-studio-read-only-'));
  try {
    const copy = join(dir, 'studio.db');
    copyFileSync(file, copy);
    if (existsSync(`${file}-wal`)) copyFileSync(`${file}-wal`, `${copy}-wal`);
    // Fold the journal into the copy and leave WAL mode, so the read-only connection needs no index file.
    const writer = new BetterSqlite3(copy);
    writer.pragma('journal_mode = DELETE');
    writer.close();
    const db = openDatabase(copy, { readonly: true });
    return {
      db,
      dispose() {
        if (db.open) db.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
