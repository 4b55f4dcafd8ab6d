import { existsSync, statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { UserError } from '../api/errors';
import { formatBytes } from './user-file';

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

/** The full-disk message for `err` when it means a full disk; otherwise `err` itself. */
export function explainDiskFull(err: unknown, dir: string, lead?: string): unknown {
  return isDiskFull(err, dir) ? diskFullError(dir, lead) : err;
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
