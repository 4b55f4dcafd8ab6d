import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openDatabase, schemaVersion } from '../../../src-main/store/database';
import { migrations } from '../../../src-main/store/migrations';
import { insertRun, getRun, finishRun, interruptRun, markRunStarted, requeueRun } from '../../../src-main/store/runs';
import { UserError } from '../../../src-main/api/errors';
import { useTempDirs } from '../../helpers/temp-dir';

describe('experiment store', () => {
  const tempDir = useTempDirs();

  it('creates every table at the latest schema version with WAL and foreign keys on', () => {
    const db = openDatabase(join(tempDir(), 'studio.db'));
    expect(schemaVersion(db)).toBe(migrations.length);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    const tables = (
      db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as Array<{ name: string }>
    ).map((t) => t.name);
    expect(tables).toEqual(
      expect.arrayContaining(['datasets', 'images', 'runs', 'metrics', 'checkpoints', 'artifacts', 'settings']),
    );
    db.close();
  });

  it('keeps data across reopen and does not migrate twice', () => {
    const file = join(tempDir(), 'studio.db');
    const db = openDatabase(file);
    db.prepare(`INSERT INTO settings (key, value) VALUES ('k', 'v')`).run();
    db.close();
    const again = openDatabase(file);
    expect(again.prepare(`SELECT value FROM settings WHERE key = 'k'`).get()).toEqual({ value: 'v' });
    again.close();
  });

  it('refuses a store written by a newer app and leaves it untouched', () => {
    const file = join(tempDir(), 'studio.db');
    const db = openDatabase(file);
    db.pragma('user_version = 999');
    db.close();
    expect(() => openDatabase(file)).toThrowError(/newer Autoencoder Studio/);
    try {
      openDatabase(file);
    } catch (err) {
      expect((err as UserError).code).toBe('store_too_new');
    }
  });

  it('says clearly when the file is not a database', () => {
    const file = join(tempDir(), 'studio.db');
    writeFileSync(file, 'this is not sqlite, just some text that happens to be long enough to have a header');
    expect(() => openDatabase(file)).toThrowError(/not a usable Autoencoder Studio store/);
  });

  it('enforces foreign keys and STRICT column types', () => {
    const db = openDatabase(join(tempDir(), 'studio.db'));
    expect(() => insertRun(db, { datasetId: 42, name: 'orphan', config: '{}' })).toThrow(/FOREIGN KEY/);
    expect(() => db.prepare(`INSERT INTO settings (key, value) VALUES (1, x'00')`).run()).toThrow(/cannot store/);
    db.close();
  });

  it('moves runs only along allowed status changes', () => {
    const db = openDatabase(join(tempDir(), 'studio.db'));
    db.prepare(
      `INSERT INTO datasets (id, name, source, status, width, height, channels, class_names, pixel_file, created_at)
       VALUES (1, 'd', 's', 'ready', 2, 2, 1, '[]', 'p', 'now')`,
    ).run();
    const id = insertRun(db, { datasetId: 1, name: 'r', config: '{}' });
    expect(markRunStarted(db, id, 'wasm', 111)).toBe(true);
    expect(markRunStarted(db, id, 'wasm', 222)).toBe(false);
    // A different worker cannot interrupt a run it does not own.
    expect(interruptRun(db, id, 222, 'no')).toBe(false);
    expect(interruptRun(db, id, 111, 'worker died')).toBe(true);
    expect(getRun(db, id)).toMatchObject({ status: 'interrupted', error: 'worker died', workerPid: null });
    expect(finishRun(db, id, 'completed')).toBe(false);
    expect(requeueRun(db, id)).toBe(true);
    expect(getRun(db, id)?.status).toBe('queued');
    db.close();
  });
});
