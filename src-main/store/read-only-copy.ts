import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../api/errors';
import { openDatabase, type Database } from './database';

/** The store's own files, which the shadow copies rather than links. */
const storeFiles = new Set(['studio.db', 'studio.db-wal', 'studio.db-shm']);

/** Recreates `from`'s folders in `to`, each file a link to the original: readable in place, nothing copied. */
function mirror(from: string, to: string, top = true): void {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    if (top && storeFiles.has(entry.name)) continue;
    if (entry.isDirectory()) mirror(join(from, entry.name), join(to, entry.name), false);
    else symlinkSync(join(from, entry.name), join(to, entry.name));
  }
}

/**
 * A data folder on a read-only disk or folder (a DVD, a read-only share, a colleague's folder), opened as a shadow:
 * a temporary folder with the same folders, each file a link to the original, and a copy of the store (SQLite cannot
 * open a WAL-mode database where it cannot create its index file). Everything reads through to the original; what is
 * computed for looking at (reconstructions, codes, maps) is written into the shadow and goes with it; exports read
 * through the links. `prepare` gets a writable connection to the copy first (to settle runs a killed process left
 * running); after that the store is opened read-only, so any change is refused by SQLite itself.
 */
export function openReadOnlyShadow(
  dataDir: string,
  prepare: (writable: Database) => void = () => {},
): { dataDir: string; db: Database; dispose(): void } {
  const file = join(dataDir, 'studio.db');
  if (!existsSync(file)) {
    throw new UserError('store_unavailable', `The data folder is read-only and holds no experiment store (${file}).`);
  }
  const shadow = mkdtempSync(join(tmpdir(), 'ae-studio-read-only-'));
  try {
    mirror(dataDir, shadow);
    const copy = join(shadow, 'studio.db');
    copyFileSync(file, copy);
    if (existsSync(`${file}-wal`)) copyFileSync(`${file}-wal`, `${copy}-wal`);
    const writable = openDatabase(copy);
    try {
      prepare(writable);
    } finally {
      writable.close();
    }
    const db = openDatabase(copy, { readonly: true });
    return {
      dataDir: shadow,
      db,
      dispose() {
        if (db.open) db.close();
        rmSync(shadow, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(shadow, { recursive: true, force: true });
    throw err;
  }
}
