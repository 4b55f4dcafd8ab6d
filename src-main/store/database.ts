import BetterSqlite3, { type Database } from 'better-sqlite3';
import { existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { UserError } from '../api/errors';
import { explainStorageError } from '../app/storage-errors';
import { migrations } from './migrations';

export type { Database };

/**
 * Refuses a studio.db that is not ours to open: an empty file with no journal beside it (most likely a copy that
 * failed: adopting it would show an empty store, as if everything were lost), or another program's SQLite database
 * (our tables would be written into it).
 */
function refuseForeignStore(file: string, db?: Database): void {
  if (!db) {
    const info = statSync(file, { throwIfNoEntry: false });
    if (info?.isFile() && info.size === 0 && !existsSync(`${file}-wal`)) {
      throw new UserError(
        'store_unavailable',
        `The experiment store ${file} is an empty file, most likely a copy that did not finish. Nothing was changed. ` +
          'Restore it from a backup, or move it away to start a new store there.',
      );
    }
    return;
  }
  if (schemaVersion(db) !== 0) return;
  const tables = db
    .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
    .pluck()
    .all() as string[];
  if (tables.length > 0) {
    throw new UserError(
      'store_unavailable',
      `${file} is another program's database (tables ${tables.slice(0, 5).join(', ')}${tables.length > 5 ? ', …' : ''}), ` +
        'not an Autoencoder Studio store. Nothing was changed. Move it away, or choose another data folder (--data-dir).',
    );
  }
}

/** Opens (creating if needed) the experiment store and brings its schema up to date. */
export function openDatabase(file: string, options: { readonly?: boolean } = {}): Database {
  let db: Database;
  refuseForeignStore(file);
  try {
    db = new BetterSqlite3(file, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
  } catch (err) {
    const full = explainStorageError(err, dirname(file), 'The experiment store cannot be opened');
    if (full instanceof UserError) throw full;
    throw new UserError('store_unavailable', `Cannot open the experiment store at ${file}: ${(err as Error).message}`);
  }
  try {
    db.pragma('busy_timeout = 10000');
    refuseForeignStore(file, db);
    db.pragma('foreign_keys = ON');
    if (!options.readonly) {
      db.pragma('journal_mode = WAL');
      // WAL with synchronous=NORMAL never corrupts on a crash; at worst the last commit is rolled back.
      db.pragma('synchronous = NORMAL');
      migrate(db);
    }
    return db;
  } catch (err) {
    db.close();
    if (err instanceof UserError) throw err;
    const full = explainStorageError(err, dirname(file), 'The experiment store cannot be opened');
    if (full instanceof UserError) throw full;
    throw new UserError(
      'store_unavailable',
      `The file ${file} is not a usable Autoencoder Studio store: ${(err as Error).message}`,
    );
  }
}

export function schemaVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Applies pending migrations in one transaction; refuses a store written by a newer version of the app. */
export function migrate(db: Database, target = migrations.length): void {
  const current = schemaVersion(db);
  if (current > migrations.length) {
    throw new UserError(
      'store_too_new',
      `This data folder was written by a newer Autoencoder Studio (schema ${current}, this app knows ${migrations.length}). ` +
        'Update the app, or choose another data folder with --data-dir.',
    );
  }
  if (current >= target) return;
  db.transaction(() => {
    for (let version = current; version < target; version++) migrations[version].up(db);
    db.pragma(`user_version = ${target}`);
  }).immediate();
}

const statementCache = new WeakMap<Database, Map<string, BetterSqlite3.Statement>>();

/** Prepares a statement once per connection; query modules call this so hot paths never recompile SQL. */
export function statement(db: Database, sql: string): BetterSqlite3.Statement {
  let cache = statementCache.get(db);
  if (!cache) statementCache.set(db, (cache = new Map()));
  let prepared = cache.get(sql);
  if (!prepared) cache.set(sql, (prepared = db.prepare(sql)));
  return prepared;
}
