// Storage failures in the user's words: a full disk (with how much is free and needed), a read-only folder.
import { existsSync, statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { UserError } from '../api/errors';
import { formatBytes } from '../api/units';

/** Bytes free for this user on the disk that holds `path` (or its nearest existing parent); undefined if unknown. */
export function freeBytes(path: string): number | undefined {
  let at = path;
  while (!existsSync(at) && dirname(at) !== at) at = dirname(at);
  try {
    const stats = statfsSync(at);
    return stats.bavail * stats.bsize;
  } catch {
    return undefined;
  }
}

/** Below this the store cannot even open (SQLite needs room for its shared-memory index and journal). */
const nearlyFullBytes = 1 << 20;

/** Whether an error means the disk (or the user's quota) is full, however it was reported (Node or SQLite). */
function isDiskFull(err: unknown, dir: string): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL') return true;
  // At zero bytes free SQLite reports a "disk I/O error" (it cannot grow its index), which reads as corruption.
  if (typeof code === 'string' && code.startsWith('SQLITE_IOERR'))
    return (freeBytes(dir) ?? Infinity) < nearlyFullBytes;
  return false;
}

/**
 * A message for a full disk: what happened (`lead`, e.g. "The import could not be saved"), how much is free, that
 * nothing stored was lost, and what to do.
 */
export function diskFullError(dir: string, lead = 'This could not be saved'): UserError {
  const free = freeBytes(dir);
  return new UserError(
    'disk_full',
    `${lead}: the disk that holds ${dir} is full` +
      `${free === undefined ? '' : ` (${formatBytes(free)} free)`}. Nothing stored before was lost. ` +
      'Free some space on that disk and try again.',
  );
}

/** Whether an error is a write refused because the data folder (or its disk) is read-only. */
function isReadOnly(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'EROFS' || code === 'SQLITE_READONLY';
}

/**
 * Whether SQLite found a page of the store damaged (a disk fault, a copy cut short). A file that is not a database at
 * all (SQLITE_NOTADB) is not this: openDatabase says it is not a usable store.
 */
function isDamaged(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_CORRUPT');
}

/**
 * The user's words for a storage failure: a full disk, a read-only data folder, or a damaged store; anything else is
 * returned as it is. `lead` says what failed ("The import could not be saved").
 */
export function explainStorageError(err: unknown, dir: string, lead?: string): unknown {
  if (isDiskFull(err, dir)) return diskFullError(dir, lead);
  if (isDamaged(err)) {
    return new UserError(
      'store_unavailable',
      `The experiment store in ${dir} is damaged (SQLite says: ${(err as Error).message}). Nothing was changed. ` +
        'Keep a copy of the folder; then restore studio.db from a backup, or rescue what can be read with ' +
        '`sqlite3 studio.db .recover | sqlite3 recovered.db`.',
    );
  }
  if (isReadOnly(err)) {
    return new UserError(
      'store_unavailable',
      `The data folder ${dir} is read-only: its datasets, runs and results can be looked at and exported, but not ` +
        'changed. To train or import, copy it somewhere you can write to and open that (--data-dir).',
    );
  }
  return err;
}

/**
 * Refuses work that cannot fit before it starts: `needBytes` (an estimate, e.g. an import's pixels) against the free
 * space, with a margin.
 */
export function requireFreeSpace(dir: string, needBytes: number, what: string): void {
  const free = freeBytes(dir);
  if (free === undefined || free >= needBytes * 1.05 + nearlyFullBytes) return;
  throw new UserError(
    'disk_full',
    `${what} needs about ${formatBytes(needBytes)} of space, but the disk that holds ${dir} has only ` +
      `${formatBytes(free)} free. Free some space and try again; nothing was changed.`,
  );
}
